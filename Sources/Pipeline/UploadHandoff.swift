import Foundation
import Imaging
import Synchronization

/// Hands an upload's bytes, already in memory, to the worker of the same process, so the photo
/// stage does not read back the file it was just written to (`--role all`; a worker in another
/// process reads the file). Only a shortcut: the file and the row are durable before the bytes
/// are put here, and anything not found here is read from the photo store. Bounded by total
/// bytes and age, oldest dropped first, so a flood of uploads or a photo erased before it was
/// processed does not keep memory.
///
/// It also starts the photo's decode and quality measures while the upload is still being made
/// durable (`startAnalysis`), so the worker finds them done or under way instead of starting
/// them after the file's fsync, the commit, the wake-up and the claim. Nothing is decided on
/// them before the photo is accepted: a refused upload's analysis is dropped.
public final class UploadHandoff: Sendable {
    public let capacity: Int
    public let maxAge: Duration
    /// Early analyses running at once, at most (more uploads at once are analysed by the worker).
    public let maxEarlyAnalyses: Int

    /// An analysis started while its upload was being stored, and the analyzer it used.
    public struct EarlyAnalysis: Sendable {
        public let analyzer: PhotoAnalyzer
        public let result: Task<PhotoAnalyzer.Analysis, any Error>
    }

    /// What the worker gets: the bytes, and the analysis when one was started.
    public struct Handed: Sendable {
        public var bytes: [UInt8]
        public var analysis: EarlyAnalysis?
    }

    private struct Entry {
        var handed: Handed
        var cost: Int
        var at: ContinuousClock.Instant
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var total = 0
        var analyzer: (@Sendable () -> PhotoAnalyzer)?
        var earlyRunning = 0
    }
    private let state = Mutex(State())

    public init(capacity: Int = 64 << 20, maxAge: Duration = .seconds(60), maxEarlyAnalyses: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.capacity = max(0, capacity)
        self.maxAge = maxAge
        self.maxEarlyAnalyses = max(0, maxEarlyAnalyses)
    }

    /// The analyzer the worker uses (decoded at its models' input size); until one is set, no
    /// analysis starts early.
    public func useAnalyzer(_ analyzer: @escaping @Sendable () -> PhotoAnalyzer) {
        state.withLock { $0.analyzer = analyzer }
    }

    /// Starts decoding and measuring `bytes` on the CPU pool, unless no analyzer is set or
    /// `maxEarlyAnalyses` already run.
    public func startAnalysis(_ bytes: [UInt8]) -> EarlyAnalysis? {
        let analyzer: PhotoAnalyzer? = state.withLock { state in
            guard let make = state.analyzer, state.earlyRunning < maxEarlyAnalyses else { return nil }
            state.earlyRunning += 1
            return make()
        }
        guard let analyzer else { return nil }
        let result = Task {
            defer { self.state.withLock { $0.earlyRunning -= 1 } }
            return try await CPUWork.pool.runIfActive { analyzer.analyze(bytes) }
        }
        return EarlyAnalysis(analyzer: analyzer, result: result)
    }

    /// Keeps `bytes` (whose SHA-256 is `sha256`) and their early analysis for the worker; too
    /// large for the capacity, not kept. An analysis counts as a decoded photo that covers its
    /// model size (3 bytes a pixel, up to twice the size each way). Whatever nobody takes (an
    /// inspection erased first, a job another pod claimed) is dropped `maxAge` later even when
    /// no other upload comes.
    public func put(_ bytes: [UInt8], sha256: String, analysis: EarlyAnalysis? = nil) {
        var analysis = analysis
        var cost = bytes.count + (analysis.map { 12 * min($0.analyzer.modelSize, 8192) * min($0.analyzer.modelSize, 8192) } ?? 0)
        if cost > capacity, analysis != nil {
            // Too large with its analysis (a very large model input): the bytes alone, decoded again by the worker.
            analysis = nil
            cost = bytes.count
        }
        guard cost <= capacity else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            if let old = state.entries[sha256] {
                state.total -= old.cost
                state.order.removeAll { $0 == sha256 }
            }
            state.entries[sha256] = Entry(handed: Handed(bytes: bytes, analysis: analysis), cost: cost, at: now)
            state.order.append(sha256)
            state.total += cost
        }
        prune()
        let maxAge = self.maxAge
        Task { [weak self] in
            try? await Task.sleep(for: maxAge + .milliseconds(10))
            self?.prune()
        }
    }

    /// Drops the oldest entries while over the capacity, and every entry older than `maxAge`.
    func prune() {
        let now = ContinuousClock.now
        state.withLock { state in
            while let oldest = state.order.first, let entry = state.entries[oldest],
                state.total > capacity || now - entry.at > maxAge
            {
                state.order.removeFirst()
                state.entries[oldest] = nil
                state.total -= entry.cost
            }
        }
    }

    /// The bytes of `sha256` and their early analysis if they are still here (taken: the next
    /// caller reads the file).
    public func take(_ sha256: String) -> Handed? {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: sha256) else { return nil }
            state.order.removeAll { $0 == sha256 }
            state.total -= entry.cost
            return ContinuousClock.now - entry.at > maxAge ? nil : entry.handed
        }
    }

    /// Bytes held now, analyses counted as `put` says (for tests and diagnostics).
    public var heldBytes: Int {
        prune()
        return state.withLock { $0.total }
    }
}
