import Dispatch
import Imaging
import Metrics

/// The batcher's queue is full: the caller should retry later (backpressure, not unbounded memory).
public struct InferenceOverloaded: Error, CustomStringConvertible {
    public var description: String { "the inference queue is full" }
}

/// Gathers concurrent photos into one model run, as Triton's dynamic batcher does: a batch runs
/// when it holds `maxBatch` photos or when its first photo has waited `maxDelay`, whichever comes
/// first, and at once when no announced photo (`expect`) is still on its way. At most `queueLimit` photos wait; more are refused with `InferenceOverloaded`. One batch
/// runs at a time, on its own thread, so the model's intra-op threads have the cores.
public actor InferenceBatcher {
    public let detector: YOLODetector
    public let maxBatch: Int
    public let maxDelay: Duration
    public let queueLimit: Int
    private let metrics: any MetricsFactory

    private struct Pending {
        var photo: LetterboxedPhoto
        /// Announced with `expect` (the pipeline's photos): its batch waits only for announced photos.
        var announced: Bool
        var continuation: CheckedContinuation<[FoundObject], any Error>
    }

    private var pending: [Pending] = []
    /// Photos announced (being read and decoded) that have not arrived: a batch waits only for these.
    private var incoming = 0
    private var wakeRunner: CheckedContinuation<Void, Never>?
    private var stopped = false
    /// The sizes of the most recent batches (up to 100), newest last: for tests and diagnostics.
    public private(set) var recentBatchSizes: [Int] = []
    private static let queue = DispatchQueue(label: "walkaround.inference")

    public init(detector: YOLODetector, maxBatch: Int = 8, maxDelay: Duration = .milliseconds(5), queueLimit: Int = 64, metrics: any MetricsFactory) {
        self.detector = detector
        self.maxBatch = max(1, maxBatch)
        self.maxDelay = maxDelay
        self.queueLimit = max(1, queueLimit)
        self.metrics = metrics
    }

    /// A photo is on its way (see `InferenceService.expectPhoto`).
    public func expect() { incoming += 1 }

    /// An announced photo will not come.
    public func abandon() { incoming = max(0, incoming - 1) }

    /// The detections on one letterboxed photo, run in whatever batch it joins; `expected` when it
    /// was announced.
    public func detect(_ photo: LetterboxedPhoto, expected: Bool = false) async throws -> [FoundObject] {
        if expected { incoming = max(0, incoming - 1) }
        guard !stopped else { throw CancellationError() }
        guard pending.count < queueLimit else { throw InferenceOverloaded() }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(photo: photo, announced: expected, continuation: continuation))
            wakeRunner?.resume()
            wakeRunner = nil
        }
    }

    /// Runs batches until the task is cancelled; then fails what still waits.
    public func run() async {
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                if pending.isEmpty {
                    await withCheckedContinuation { wakeRunner = $0 }
                    continue
                }
                // A pipeline photo (announced) waits for a fuller batch only while announced photos are
                // still on their way: alone, it runs at once instead of waiting `maxDelay` for company
                // that is not coming. Callers that announce nothing get the plain deadline.
                let deadline = ContinuousClock.now + maxDelay
                let patient = pending.first.map { !$0.announced } ?? true
                while pending.count < maxBatch, patient || incoming > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .microseconds(500))
                }
                let batch = Array(pending.prefix(maxBatch))
                pending.removeFirst(batch.count)
                recentBatchSizes = Array((recentBatchSizes + [batch.count]).suffix(100))
                await runBatch(batch)
            }
            stop()
        } onCancel: {
            Task { await self.stop() }
        }
    }

    private func stop() {
        stopped = true
        wakeRunner?.resume()
        wakeRunner = nil
        let waiting = pending
        pending = []
        for request in waiting { request.continuation.resume(throwing: CancellationError()) }
    }

    private func runBatch(_ batch: [Pending]) async {
        let detector = self.detector
        let photos = batch.map(\.photo)
        let start = ContinuousClock.now
        let result: Result<[[FoundObject]], any Error> = await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: Result { try detector.detect(photos) }) }
        }
        let timer = Timer(
            label: "inference_duration_seconds",
            dimensions: [("model", detector.configuration.name), ("batch_size", "\(batch.count)")],
            factory: metrics
        )
        timer.record(duration: ContinuousClock.now - start)
        switch result {
        case .success(let detections):
            for (request, found) in zip(batch, detections) { request.continuation.resume(returning: found) }
        case .failure(let error):
            for request in batch { request.continuation.resume(throwing: error) }
        }
    }
}
