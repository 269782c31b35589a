import Dispatch
import Imaging
import Metrics

/// The batcher's queue is full: the caller should retry later (backpressure, not unbounded memory).
public struct InferenceOverloaded: Error, CustomStringConvertible {
    public var description: String { "the inference queue is full" }
}

/// Gathers concurrent photos (or the tensors of remote callers, `infer`) into one model run, as Triton's dynamic batcher does: a batch runs
/// when it holds `maxBatch` photos or when its first photo has waited `maxDelay`, whichever comes
/// first, and at once when no announced photo (`expect`) is still on its way. At most `queueLimit` photos wait; more are refused with `InferenceOverloaded`. One batch
/// runs at a time, on its own thread, so the model's intra-op threads have the cores.
public actor InferenceBatcher {
    public nonisolated let detector: YOLODetector
    public nonisolated let maxBatch: Int
    public nonisolated let maxDelay: Duration
    public nonisolated let queueLimit: Int
    /// The model file's version: the first 12 hex digits of its SHA-256 (a label of the model's
    /// metrics, so a canary model's latency and findings are told from the stable one's).
    public nonisolated let version: String
    private let metrics: any MetricsFactory

    private struct Pending {
        /// `[k, 3, size, size]`: one photo, or a remote caller's k.
        var input: Tensor
        var images: Int { input.shape[0] }
        /// Announced with `expect` (the pipeline's photos): its batch waits only for announced photos.
        var announced: Bool
        var continuation: CheckedContinuation<Tensor, any Error>
    }

    private var pending: [Pending] = []
    /// How many photos wait for a batch now.
    public var waiting: Int { pending.count }
    /// Photos announced (being read and decoded) that have not arrived: a batch waits only for these.
    private var incoming = 0
    private var wakeRunner: CheckedContinuation<Void, Never>?
    private var stopped = false
    /// The sizes of the most recent batches (up to 100), newest last: for tests and diagnostics.
    public private(set) var recentBatchSizes: [Int] = []
    private static let queue = DispatchQueue(label: "walkaround.inference")

    public init(
        detector: YOLODetector, maxBatch: Int = 8, maxDelay: Duration = .milliseconds(5), queueLimit: Int = 64, version: String = "unknown",
        metrics: any MetricsFactory
    ) {
        self.detector = detector
        self.version = version
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
        let output = try await infer(YOLODetector.tensor([photo]), expected: expected)
        return detector.decode(output, image: 0, letterbox: photo.letterbox)
    }

    /// The model's raw output for `input` (`[k, 3, size, size]` float32, the model's input size),
    /// run in whatever batch it joins: `[k, 4 + classes, anchors]`. What the Open Inference
    /// Protocol route serves. A shape the model does not take is refused before it waits.
    public func infer(_ input: Tensor, expected: Bool = false) async throws -> Tensor {
        if expected { incoming = max(0, incoming - 1) }
        let size = detector.info.inputSize
        guard input.shape.count == 4, (1...maxBatch).contains(input.shape[0]), input.shape[1] == 3, input.shape[2] == size, input.shape[3] == size else {
            throw ONNXRuntimeError("the input's shape is \(input.shape); this model takes [1...\(maxBatch), 3, \(size), \(size)]")
        }
        guard !stopped else { throw CancellationError() }
        guard pending.count < queueLimit else { throw InferenceOverloaded() }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(input: input, announced: expected, continuation: continuation))
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
                while images(in: pending) < maxBatch, patient || incoming > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .microseconds(500))
                }
                // Whole requests up to `maxBatch` images (always at least the first).
                var batch: [Pending] = []
                var count = 0
                for request in pending {
                    // A prefix of the queue, in order: `removeFirst` below takes exactly these.
                    guard batch.isEmpty || count + request.images <= maxBatch else { break }
                    batch.append(request)
                    count += request.images
                    if count >= maxBatch { break }
                }
                pending.removeFirst(batch.count)
                recentBatchSizes = Array((recentBatchSizes + [count]).suffix(100))
                await runBatch(batch)
            }
            stop()
        } onCancel: {
            Task { await self.stop() }
        }
    }

    private func images(in requests: [Pending]) -> Int {
        requests.reduce(0) { $0 + $1.images }
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
        let inputs = batch.map(\.input)
        let start = ContinuousClock.now
        let result: Result<[Tensor], any Error> = await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: Result { try detector.run(inputs) }) }
        }
        let images = images(in: batch)
        let model = detector.configuration.name
        Timer(label: "inference_duration_seconds", dimensions: [("model", model), ("version", version), ("batch_size", "\(images)")], factory: metrics)
            .record(duration: ContinuousClock.now - start)
        Recorder(label: "walkaround_inference_batch_size", dimensions: [("model", model), ("version", version)], factory: metrics).record(images)
        switch result {
        case .success(let outputs):
            for (request, output) in zip(batch, outputs) { request.continuation.resume(returning: output) }
        case .failure(let error):
            for request in batch { request.continuation.resume(throwing: error) }
        }
    }
}
