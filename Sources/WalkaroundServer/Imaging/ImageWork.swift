import Foundation
import Hummingbird
import NIOPosix
import Pipeline

/// Runs the CPU-heavy part of image routes (decode, resize, draw, encode): at most `concurrency`
/// at once, each on the CPU pool (`CPUWork`) rather than the cooperative pool (which would starve
/// every other request), so a burst of thumbnail requests costs a bounded amount of memory and CPU.
/// A request that waits longer than `maxWait` for a slot is answered 503 with `Retry-After`.
struct ImageWork: Sendable {
    let slots: Slots
    let maxWait: Duration
    let threadPool: NIOThreadPool

    init(concurrency: Int, maxWait: Duration, threadPool: NIOThreadPool = CPUWork.pool) {
        slots = Slots(count: max(1, concurrency))
        self.maxWait = maxWait
        self.threadPool = threadPool
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard await slots.acquire(within: maxWait) else {
            var error = APIError(.serviceUnavailable, code: "busy", message: "image work is at capacity; retry shortly")
            error.headers[.retryAfter] = "1"
            throw error
        }
        do {
            let result = try await threadPool.runIfActive(body)
            await slots.release()
            return result
        } catch {
            await slots.release()
            throw error
        }
    }

    /// A counting semaphore whose waiters give up after a deadline.
    actor Slots {
        private var free: Int
        private var waiters: [(id: UUID, continuation: CheckedContinuation<Bool, Never>)] = []

        init(count: Int) { free = count }

        func acquire(within wait: Duration) async -> Bool {
            if free > 0 {
                free -= 1
                return true
            }
            let id = UUID()
            return await withCheckedContinuation { continuation in
                waiters.append((id, continuation))
                Task {
                    try? await Task.sleep(for: wait)
                    self.expire(id)
                }
            }
        }

        func release() {
            if waiters.isEmpty {
                free += 1
            } else {
                waiters.removeFirst().continuation.resume(returning: true)
            }
        }

        private func expire(_ id: UUID) {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
            waiters.remove(at: index).continuation.resume(returning: false)
        }
    }
}
