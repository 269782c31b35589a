import Foundation
import ServiceLifecycle
import Storage
import Synchronization

/// Wakes an idle worker as soon as a job is enqueued, so a photo does not wait for the next poll:
/// in this process directly, and in the other pods through Redis publish/subscribe (`channel`,
/// which worker pods subscribe to). The queue in the database stays the only truth: a lost or
/// unsent wake-up (Redis down) costs at most one poll interval, never a job.
///
/// Publishing is this `Service`'s loop, not the request's: a request only marks that jobs were
/// enqueued, a burst of them becomes one message, and a slow or absent Redis never delays an answer.
public final class WakeSignal: Service, Sendable {
    public static let channel = "walkaround:jobs"
    private struct State {
        var pending = false
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())
    private let redis: RedisClient?
    private let published: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    public init(redis: RedisClient? = nil) {
        self.redis = redis
        published = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Jobs were committed: wakes this process's idle workers now, and the other pods' through
    /// the publishing loop (`run`).
    public func jobsEnqueued() {
        signal()
        if redis != nil { published.continuation.yield() }
    }

    /// Publishes the wake-ups until shut down (best effort: skipped while Redis is known to be down).
    public func run() async throws {
        guard let redis else { return }
        await cancelWhenGracefulShutdown {
            for await _ in self.published.stream {
                guard redis.isAvailable else { continue }
                _ = try? await redis.command(["PUBLISH", Self.channel, "1"])
            }
        }
    }

    /// Wakes every waiter, or the next one to wait if none is waiting now.
    public func signal() {
        let waiters = state.withLock { state in
            if state.waiters.isEmpty { state.pending = true }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when signalled, after `timeout`, or when the task is cancelled, whichever comes first.
    public func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForSignal() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
