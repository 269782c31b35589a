#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from ONNX Runtime (its `OrtStatus` code and message) or from loading it.
public struct ONNXRuntimeError: Error, CustomStringConvertible, Equatable {
    /// `OrtErrorCode` (0 when the error is ours, not the runtime's).
    public var code: Int32
    public var message: String

    public init(code: Int32 = 0, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { code == 0 ? message : "ONNX Runtime error \(code): \(message)" }
}

/// `libonnxruntime.so`, opened with dlopen, and its C API function table.
///
/// There is no C header: the slot numbers and signatures come from the verified fact sheet
/// (`../shared/reference/onnxruntime-c-api-slots.md`, API version 31). Each slot is a C function
/// pointer read from the `OrtApi` table and cast to the Swift signature written here. Every
/// `OrtStatus*` is checked by `check`, which turns it into an `ONNXRuntimeError` and releases it.
/// One instance per process: it owns the `OrtEnv`, which lives as long as the process.
public final class ONNXRuntime: @unchecked Sendable {
    public static let apiVersion: UInt32 = 31

    typealias Status = OpaquePointer?
    typealias Handle = OpaquePointer?
    typealias CString = UnsafePointer<CChar>?
    typealias OwnedCString = UnsafeMutablePointer<CChar>?

    public let version: String
    public let path: String
    private let library: UnsafeMutableRawPointer
    private let api: UnsafePointer<UnsafeRawPointer?>
    let env: OpaquePointer
    let allocator: OpaquePointer

    /// Loads the library at `path` and asks for API version 31.
    public init(path: String) throws {
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw ONNXRuntimeError("cannot load ONNX Runtime from \(path): \(reason)")
        }
        guard let symbol = dlsym(library, "OrtGetApiBase") else {
            dlclose(library)
            throw ONNXRuntimeError("\(path) has no OrtGetApiBase: not an ONNX Runtime library")
        }
        typealias GetApiBase = @convention(c) () -> UnsafePointer<UnsafeRawPointer?>?
        typealias GetApi = @convention(c) (UInt32) -> UnsafeRawPointer?
        typealias GetVersionString = @convention(c) () -> CString
        guard let base = unsafeBitCast(symbol, to: GetApiBase.self)(), let getApi = base[0], let getVersion = base[1] else {
            dlclose(library)
            throw ONNXRuntimeError("OrtGetApiBase returned nothing")
        }
        let version = unsafeBitCast(getVersion, to: GetVersionString.self)().map { String(cString: $0) } ?? "unknown"
        guard let table = unsafeBitCast(getApi, to: GetApi.self)(Self.apiVersion) else {
            dlclose(library)
            throw ONNXRuntimeError("ONNX Runtime \(version) at \(path) does not offer C API version \(Self.apiVersion) (1.31 or newer is needed)")
        }
        self.library = library
        self.api = table.assumingMemoryBound(to: UnsafeRawPointer?.self)
        self.version = version
        self.path = path

        var env: OpaquePointer? = nil
        let createEnv = Self.function(api, 3, as: (@convention(c) (Int32, CString, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)
        var allocator: OpaquePointer? = nil
        let getAllocator = Self.function(api, 78, as: (@convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)
        do {
            try Self.check(createEnv(2, "walkaround", &env), api: api)  // logging level WARNING
            try Self.check(getAllocator(&allocator), api: api)
        } catch {
            dlclose(library)
            throw error
        }
        guard let env, let allocator else { throw ONNXRuntimeError("ONNX Runtime returned no environment") }
        self.env = env
        self.allocator = allocator
    }

    deinit {
        release(92, env)  // ReleaseEnv
        // The library stays loaded: sessions' code may still be referenced by ORT's own threads.
    }

    /// The function in `slot`, as the C signature `type`.
    static func function<T>(_ api: UnsafePointer<UnsafeRawPointer?>, _ slot: Int, as type: T.Type) -> T {
        guard let pointer = api[slot] else { fatalError("ONNX Runtime API slot \(slot) is empty") }
        return unsafeBitCast(pointer, to: type)
    }

    func function<T>(_ slot: Int, as type: T.Type) -> T { Self.function(api, slot, as: type) }

    /// Throws the status as an `ONNXRuntimeError` when it is not success, releasing it either way.
    static func check(_ status: Status, api: UnsafePointer<UnsafeRawPointer?>) throws {
        guard let status else { return }
        let code = function(api, 1, as: (@convention(c) (OpaquePointer?) -> Int32).self)(status)
        let message = function(api, 2, as: (@convention(c) (OpaquePointer?) -> CString).self)(status).map { String(cString: $0) } ?? ""
        function(api, 93, as: (@convention(c) (OpaquePointer?) -> Void).self)(status)
        throw ONNXRuntimeError(code: code, message)
    }

    func check(_ status: Status) throws { try Self.check(status, api: api) }

    /// Calls a `Release*` slot on a handle.
    func release(_ slot: Int, _ handle: OpaquePointer?) {
        guard let handle else { return }
        function(slot, as: (@convention(c) (OpaquePointer?) -> Void).self)(handle)
    }

    /// Copies and frees a string the default allocator made.
    func takeString(_ pointer: OwnedCString) throws -> String? {
        guard let pointer else { return nil }
        let text = String(cString: pointer)
        try check(function(76, as: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Status).self)(allocator, pointer))
        return text
    }

    /// Execution providers this library was built with ("CPUExecutionProvider", "CUDAExecutionProvider", …).
    public func availableProviders() throws -> [String] {
        var list: UnsafeMutablePointer<OwnedCString>? = nil
        var count: Int32 = 0
        try check(function(125, as: (@convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<OwnedCString>?>?, UnsafeMutablePointer<Int32>?) -> Status).self)(&list, &count))
        guard let list else { return [] }
        let names = (0..<Int(count)).compactMap { list[$0].map { String(cString: $0) } }
        try check(function(126, as: (@convention(c) (UnsafeMutablePointer<OwnedCString>?, Int32) -> Status).self)(list, count))
        return names
    }

    /// The library at `ORT_LIBRARY_PATH`, else the one the project's setup installs.
    public static func defaultLibraryPath(environment: [String: String]) -> String {
        if let path = environment["ORT_LIBRARY_PATH"], !path.isEmpty { return path }
        return ".ort/lib/libonnxruntime.so"
    }
}
