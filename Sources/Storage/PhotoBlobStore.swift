import Crypto
import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Photo files on local disk, addressed by the SHA-256 of their bytes.
///
/// A write goes to a temporary file that is fsynced and then renamed into place (and the folder
/// fsynced), so a file at its address is always complete: a crash leaves at most a stray temporary.
/// Blocking file calls run on the NIO thread pool, off the event loops.
public struct PhotoBlobStore: Sendable {
    public let root: String
    private let threadPool: NIOThreadPool

    public init(root: String, threadPool: NIOThreadPool = .singleton) throws {
        self.root = root
        self.threadPool = threadPool
        try Self.makeDirectory(root + "/tmp")
    }

    /// Hex SHA-256 of `bytes`.
    public static func address(of bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// A file's address computed as its bytes arrive (an upload's body, chunk by chunk), so the
    /// hash is ready when the last chunk is.
    public struct IncrementalAddress: Sendable {
        private var hasher = SHA256()

        public init() {}

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            hasher.update(bufferPointer: bytes)
        }

        public func finalize() -> String { PhotoBlobStore.hex(hasher.finalize()) }
    }

    /// Where the blob with this address lives.
    public func path(for sha256: String) -> String {
        let a = sha256.prefix(2)
        let b = sha256.dropFirst(2).prefix(2)
        return "\(root)/\(a)/\(b)/\(sha256)"
    }

    /// Stores `bytes` durably under `sha256` (which the caller computed); an existing blob is kept.
    public func store(_ bytes: [UInt8], sha256: String) async throws {
        let target = path(for: sha256)
        let temporary = "\(root)/tmp/\(UUID().uuidString)"
        try await threadPool.runIfActive {
            if FileManager.default.fileExists(atPath: target) { return }
            let folder = String(target[..<target.lastIndex(of: "/")!])
            do {
                try Self.makeDirectory(folder)
            } catch {
                throw StorageError.unavailable("photo store folder \(folder): \(error)")
            }
            do {
                try Self.writeSynced(bytes, to: temporary)
            } catch {
                unlink(temporary)  // a partial file from a full disk is not left behind
                throw error
            }
            guard rename(temporary, target) == 0 else {
                let code = errno
                unlink(temporary)
                throw StorageError.unavailable("rename into \(target) failed: \(String(cString: strerror(code)))")
            }
            try Self.syncDirectory(folder)
        }
    }

    /// The stored bytes, or nil when no blob has this address.
    public func read(sha256: String) async throws -> [UInt8]? {
        let target = path(for: sha256)
        return try await threadPool.runIfActive {
            guard let data = FileManager.default.contents(atPath: target) else { return nil }
            return [UInt8](data)
        }
    }

    /// Deletes the blob; a missing blob is not an error (erasure is idempotent).
    public func remove(sha256: String) async throws {
        let target = path(for: sha256)
        try await threadPool.runIfActive {
            if unlink(target) != 0 && errno != ENOENT {
                throw StorageError.unavailable("unlink \(target) failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The addresses of stored files last modified before `date` (for the janitor; a walk of the folder).
    public func addresses(modifiedBefore date: Date) async throws -> [String] {
        let root = root
        return try await threadPool.runIfActive {
            let files = FileManager.default
            var found: [String] = []
            for first in (try? files.contentsOfDirectory(atPath: root)) ?? [] where Self.isHexPair(first) {
                for second in (try? files.contentsOfDirectory(atPath: "\(root)/\(first)")) ?? [] where Self.isHexPair(second) {
                    let folder = "\(root)/\(first)/\(second)"
                    for name in (try? files.contentsOfDirectory(atPath: folder)) ?? []
                    where name.count == 64 && name.hasPrefix(first + second) && Self.modified("\(folder)/\(name)", before: date) {
                        found.append(name)
                    }
                }
            }
            return found
        }
    }

    /// Removes temporary files (of writes that never finished) last modified before `date`; returns how many.
    public func removeTemporaries(modifiedBefore date: Date) async throws -> Int {
        let folder = root + "/tmp"
        return try await threadPool.runIfActive {
            var removed = 0
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where Self.modified("\(folder)/\(name)", before: date) {
                if unlink("\(folder)/\(name)") == 0 { removed += 1 }
            }
            return removed
        }
    }

    private static func isHexPair(_ name: String) -> Bool {
        name.count == 2 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func modified(_ path: String, before date: Date) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return Double(info.st_mtim.tv_sec) < date.timeIntervalSince1970
    }

    public func exists(sha256: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: path(for: sha256))
    }

    private static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    private static func writeSynced(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw StorageError.unavailable("open \(path) failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        try bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    unlink(path)
                    throw StorageError.unavailable("write \(path) failed: \(String(cString: strerror(errno)))")
                }
                written += n
            }
        }
        guard fsync(fd) == 0 else {
            unlink(path)
            throw StorageError.unavailable("fsync \(path) failed: \(String(cString: strerror(errno)))")
        }
    }

    private static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = fsync(fd)
    }
}
