import Foundation
import Synchronization

/// Hands an upload's bytes, already in memory, to the worker of the same process, so the photo
/// stage does not read back the file it was just written to (`--role all`; a worker in another
/// process reads the file). Only a shortcut: the file and the row are durable before the bytes
/// are put here, and anything not found here is read from the photo store. Bounded by total
/// bytes and age, oldest dropped first, so a flood of uploads or a photo erased before it was
/// processed does not keep memory.
public final class UploadHandoff: Sendable {
    public let capacity: Int
    public let maxAge: Duration
    private struct Entry {
        var bytes: [UInt8]
        var at: ContinuousClock.Instant
    }
    private let state = Mutex<(entries: [String: Entry], order: [String], total: Int)>(([:], [], 0))

    public init(capacity: Int = 64 << 20, maxAge: Duration = .seconds(60)) {
        self.capacity = max(0, capacity)
        self.maxAge = maxAge
    }

    /// Keeps `bytes` (whose SHA-256 is `sha256`) for the worker; too large for the capacity, not
    /// kept. Whatever nobody takes (an inspection erased first, a job another pod claimed) is
    /// dropped `maxAge` later even when no other upload comes.
    public func put(_ bytes: [UInt8], sha256: String) {
        guard bytes.count <= capacity else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            if let old = state.entries[sha256] {
                state.total -= old.bytes.count
                state.order.removeAll { $0 == sha256 }
            }
            state.entries[sha256] = Entry(bytes: bytes, at: now)
            state.order.append(sha256)
            state.total += bytes.count
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
                state.total -= entry.bytes.count
            }
        }
    }

    /// The bytes of `sha256` if they are still here (taken: the next caller reads the file).
    public func take(_ sha256: String) -> [UInt8]? {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: sha256) else { return nil }
            state.order.removeAll { $0 == sha256 }
            state.total -= entry.bytes.count
            return ContinuousClock.now - entry.at > maxAge ? nil : entry.bytes
        }
    }

    /// Bytes held now (for tests and diagnostics).
    public var heldBytes: Int {
        prune()
        return state.withLock { $0.total }
    }
}
