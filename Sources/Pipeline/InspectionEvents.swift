import Foundation
import Logging
import Storage
import Synchronization

/// Tells waiting event streams that an inspection changed (a photo accepted or judged, a report
/// written), in this process and, through Redis publish/subscribe, in every other pod. A signal
/// carries no data: a stream re-reads the inspection from the database and sends what changed,
/// so the database stays the only truth and a lost signal costs only latency (streams also
/// re-read on a timer, faster while Redis is unavailable).
public final class InspectionEvents: Sendable {
    public static let channelPrefix = "walkaround:inspection:"
    private let redis: RedisClient?
    private let logger: Logger
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }
    private let waiters = Mutex<(next: UInt64, byInspection: [UUID: [Waiter]])>((0, [:]))

    public init(redis: RedisClient?, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// Whether other pods' signals arrive (Redis configured and answering).
    public var crossesPods: Bool { redis?.isAvailable ?? false }

    /// Wakes this process's streams of `inspection` and publishes the signal for the other pods'
    /// (best effort: a failed publish is logged by the client and costs the others latency).
    public func changed(_ inspection: UUID) async {
        wake(inspection)
        guard let redis else { return }
        _ = try? await redis.command(["PUBLISH", Self.channelPrefix + inspection.uuidString.lowercased(), "changed"])
    }

    /// Wakes the streams of `inspection` in this process only (what the subscriber calls).
    public func wake(_ inspection: UUID) {
        let woken = waiters.withLock { state in state.byInspection.removeValue(forKey: inspection) ?? [] }
        for waiter in woken { waiter.continuation.resume(returning: true) }
    }

    /// Waits until `inspection` changes (true) or `timeout` passes (false).
    public func wait(for inspection: UUID, timeout: Duration) async -> Bool {
        let id = waiters.withLock { state in
            state.next &+= 1
            return state.next
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                waiters.withLock { state in state.byInspection[inspection, default: []].append(Waiter(id: id, continuation: continuation)) }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.expire(id, of: inspection)
                }
            }
        } onCancel: {
            self.expire(id, of: inspection)
        }
    }

    /// Resumes one waiter with false if it still waits (a timeout or a cancelled stream).
    private func expire(_ id: UInt64, of inspection: UUID) {
        let waiter: Waiter? = waiters.withLock { state in
            guard var list = state.byInspection[inspection], let index = list.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = list.remove(at: index)
            state.byInspection[inspection] = list.isEmpty ? nil : list
            return waiter
        }
        waiter?.continuation.resume(returning: false)
    }

    /// Streams waiting now, for tests and diagnostics.
    public var waiting: Int { waiters.withLock { $0.byInspection.values.reduce(0) { $0 + $1.count } } }
}
