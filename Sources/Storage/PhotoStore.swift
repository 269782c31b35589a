import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where photo files live, addressed by the SHA-256 of their bytes: a local folder
/// (`PhotoBlobStore`, the embedded default) or an S3-compatible bucket (`S3PhotoStore`).
///
/// Every implementation keeps the same promises: `store` returns only once the bytes are durable
/// and complete at their address (never a partial object), an existing address is kept, reads
/// and removals of a missing address are not errors, and a store that cannot take the work now
/// throws `StorageError.unavailable` (the API answers 503 with `Retry-After`).
public protocol PhotoStore: Sendable {
    /// Stores `bytes` durably under `sha256` (which the caller computed).
    func store(_ bytes: [UInt8], sha256: String) async throws
    /// The stored bytes, or nil when nothing has this address.
    func read(sha256: String) async throws -> [UInt8]?
    /// Deletes the photo; a missing one is not an error (erasure is idempotent).
    func remove(sha256: String) async throws
    func exists(sha256: String) async throws -> Bool
    /// The addresses stored before `date` (for the janitor's sweep of unreferenced files).
    func addresses(modifiedBefore date: Date) async throws -> [String]
    /// Removes what writes that never finished left before `date` (temporary files, unfinished
    /// multipart uploads); returns how many.
    func removeTemporaries(modifiedBefore date: Date) async throws -> Int
    /// Where the photos are, for logs and `/ready` (never a secret).
    var location: String { get }
    /// The store answers and would take a photo (`/ready`); throws what is wrong otherwise.
    func check() async throws
}

extension PhotoBlobStore: PhotoStore {
    public var location: String { "folder \(root)" }

    public func check() async throws {
        guard access(root + "/tmp", W_OK) == 0 else {
            throw StorageError.unavailable("the photo folder \(root)/tmp is not writable: \(String(cString: strerror(errno)))")
        }
    }
}
