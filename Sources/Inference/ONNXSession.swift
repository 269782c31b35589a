import Logging

/// How a session runs.
public struct SessionSettings: Sendable, Equatable {
    public enum Optimization: Int32, Sendable {
        case disabled = 0
        case basic = 1
        case extended = 2
        case all = 99
    }

    /// Threads one inference may use (0: ONNX Runtime's default, one per core).
    public var intraOpThreads: Int
    public var optimization: Optimization
    /// Use the CUDA execution provider when the library has it and a GPU answers; CPU otherwise.
    public var preferCUDA: Bool
    /// Refuse to load rather than fall back to the CPU (GPU pods: a pod that holds a GPU and runs on
    /// its CPU should be not-ready, not slow).
    public var requireCUDA: Bool
    /// Whether the intra-op threads spin while they wait for work (ONNX Runtime's
    /// `session.intra_op.allow_spinning`). Spinning saves a wake-up per parallel section but burns
    /// the cores the decoder and the HTTP server share with the model between runs: off by
    /// default (measured on 2 cores: the same latency, a photo's decode + run cost 60–69 CPU ms
    /// instead of 96–98; `inference-bench` with `INFERENCE_SPINNING=0/1`).
    public var allowSpinning: Bool

    public init(
        intraOpThreads: Int = 0, optimization: Optimization = .all, preferCUDA: Bool = true, requireCUDA: Bool = false, allowSpinning: Bool = false
    ) {
        self.intraOpThreads = intraOpThreads
        self.optimization = optimization
        self.preferCUDA = preferCUDA || requireCUDA
        self.requireCUDA = requireCUDA
        self.allowSpinning = allowSpinning
    }
}

/// A float32 tensor's values and shape.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
        self.shape = shape
        self.values = values
    }
}

/// A loaded model: an `OrtSession` with its input and output names and its custom metadata.
/// `run` may be called from several tasks at once (ONNX Runtime sessions are thread-safe for Run).
public final class ONNXSession: @unchecked Sendable {
    public let runtime: ONNXRuntime
    public let inputNames: [String]
    public let outputNames: [String]
    /// The execution provider the session runs on ("CUDAExecutionProvider" or "CPUExecutionProvider").
    public let provider: String
    private let session: OpaquePointer
    private let memoryInfo: OpaquePointer

    public init(runtime: ONNXRuntime, modelPath: String, settings: SessionSettings = SessionSettings(), logger: Logger? = nil) throws {
        typealias Status = ONNXRuntime.Status
        self.runtime = runtime
        var options: OpaquePointer? = nil
        try runtime.check(runtime.function(10, as: (@convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)(&options))
        defer { runtime.release(100, options) }
        try runtime.check(runtime.function(23, as: (@convention(c) (OpaquePointer?, Int32) -> Status).self)(options, settings.optimization.rawValue))
        try runtime.check(runtime.function(24, as: (@convention(c) (OpaquePointer?, Int32) -> Status).self)(options, Int32(settings.intraOpThreads)))
        // AddSessionConfigEntry (slot 130): `(SessionOptions*, cstr key, cstr value) -> St`.
        let configEntry = runtime.function(130, as: (@convention(c) (OpaquePointer?, ONNXRuntime.CString, ONNXRuntime.CString) -> Status).self)
        try runtime.check(configEntry(options, "session.intra_op.allow_spinning", settings.allowSpinning ? "1" : "0"))
        var provider = "CPUExecutionProvider"
        if settings.preferCUDA {
            if (try? runtime.availableProviders())?.contains("CUDAExecutionProvider") == true {
                do {
                    try Self.appendCUDA(runtime, options)
                    provider = "CUDAExecutionProvider"
                } catch {
                    if settings.requireCUDA { throw ONNXRuntimeError("CUDA is required but its execution provider did not start: \(error)") }
                    logger?.warning("CUDA execution provider unavailable, running on the CPU", metadata: ["error": "\(error)"])
                }
            } else if settings.requireCUDA {
                throw ONNXRuntimeError("CUDA is required but this ONNX Runtime library has no CUDA execution provider (the CPU build?)")
            }
        }
        var session: OpaquePointer? = nil
        let create = runtime.function(7, as: (@convention(c) (OpaquePointer?, ONNXRuntime.CString, OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)
        try runtime.check(create(runtime.env, modelPath, options, &session))
        guard let session else { throw ONNXRuntimeError("ONNX Runtime returned no session for \(modelPath)") }
        var memoryInfo: OpaquePointer? = nil
        do {
            try runtime.check(runtime.function(69, as: (@convention(c) (Int32, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)(1, 0, &memoryInfo))
            guard let memoryInfo else { throw ONNXRuntimeError("ONNX Runtime returned no CPU memory info") }
            self.memoryInfo = memoryInfo
            inputNames = try Self.names(runtime, session, countSlot: 30, nameSlot: 36)
            outputNames = try Self.names(runtime, session, countSlot: 31, nameSlot: 37)
        } catch {
            runtime.release(95, session)
            runtime.release(94, memoryInfo)
            throw error
        }
        self.session = session
        self.provider = provider
    }

    deinit {
        runtime.release(95, session)
        runtime.release(94, memoryInfo)
    }

    private static func appendCUDA(_ runtime: ONNXRuntime, _ options: OpaquePointer?) throws {
        typealias Status = ONNXRuntime.Status
        var cuda: OpaquePointer? = nil
        try runtime.check(runtime.function(205, as: (@convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)(&cuda))
        defer { runtime.release(208, cuda) }
        try runtime.check(runtime.function(204, as: (@convention(c) (OpaquePointer?, OpaquePointer?) -> Status).self)(options, cuda))
    }

    private static func names(_ runtime: ONNXRuntime, _ session: OpaquePointer, countSlot: Int, nameSlot: Int) throws -> [String] {
        typealias Status = ONNXRuntime.Status
        var count = 0
        try runtime.check(runtime.function(countSlot, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>?) -> Status).self)(session, &count))
        let getName = runtime.function(
            nameSlot, as: (@convention(c) (OpaquePointer?, Int, OpaquePointer?, UnsafeMutablePointer<ONNXRuntime.OwnedCString>?) -> Status).self
        )
        return try (0..<count).map { index in
            var name: ONNXRuntime.OwnedCString = nil
            try runtime.check(getName(session, index, runtime.allocator, &name))
            return try runtime.takeString(name) ?? ""
        }
    }

    /// A value from the model's custom metadata map (what Ultralytics writes: `imgsz`, `names`,
    /// `stride`, `task`, …), nil when the key is absent.
    public func metadata(_ key: String) throws -> String? {
        typealias Status = ONNXRuntime.Status
        var metadata: OpaquePointer? = nil
        try runtime.check(runtime.function(111, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)(session, &metadata))
        defer { runtime.release(118, metadata) }
        var value: ONNXRuntime.OwnedCString = nil
        let lookup = runtime.function(
            116, as: (@convention(c) (OpaquePointer?, OpaquePointer?, ONNXRuntime.CString, UnsafeMutablePointer<ONNXRuntime.OwnedCString>?) -> Status).self
        )
        try runtime.check(lookup(metadata, runtime.allocator, key, &value))
        return try runtime.takeString(value)
    }

    /// Runs the model on one float32 input and returns its first output.
    public func run(_ input: Tensor) throws -> Tensor {
        typealias Status = ONNXRuntime.Status
        guard let inputName = inputNames.first, let outputName = outputNames.first else {
            throw ONNXRuntimeError("the model has no inputs or no outputs")
        }
        var values = input.values
        let shape = input.shape.map(Int64.init)
        return try values.withUnsafeMutableBytes { buffer in
            // The tensor borrows `buffer` (ONNX Runtime does not copy it): it is released before
            // the closure returns, so the buffer outlives it.
            var tensor: OpaquePointer? = nil
            let create = runtime.function(
                49,
                as: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int, UnsafePointer<Int64>?, Int, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self
            )
            try shape.withUnsafeBufferPointer { dims in
                try runtime.check(create(memoryInfo, buffer.baseAddress, buffer.count, dims.baseAddress, dims.count, 1, &tensor))
            }
            defer { runtime.release(96, tensor) }
            var output: OpaquePointer? = nil
            let run = runtime.function(
                9,
                as: (@convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<ONNXRuntime.CString>?, UnsafePointer<OpaquePointer?>?, Int,
                    UnsafePointer<ONNXRuntime.CString>?, Int, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self
            )
            try inputName.withCString { inName in
                try outputName.withCString { outName in
                    var inNames: [ONNXRuntime.CString] = [inName]
                    var outNames: [ONNXRuntime.CString] = [outName]
                    var inputs: [OpaquePointer?] = [tensor]
                    try runtime.check(run(session, nil, &inNames, &inputs, 1, &outNames, 1, &output))
                }
            }
            defer { runtime.release(96, output) }
            return try readTensor(output)
        }
    }

    /// Copies a float tensor value out of ONNX Runtime.
    private func readTensor(_ value: OpaquePointer?) throws -> Tensor {
        typealias Status = ONNXRuntime.Status
        var info: OpaquePointer? = nil
        try runtime.check(runtime.function(65, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)(value, &info))
        defer { runtime.release(99, info) }
        var elementType: Int32 = 0
        try runtime.check(runtime.function(60, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?) -> Status).self)(info, &elementType))
        guard elementType == 1 else { throw ONNXRuntimeError("the model's output is of element type \(elementType), not float32") }
        var rank = 0
        try runtime.check(runtime.function(61, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>?) -> Status).self)(info, &rank))
        var dims = [Int64](repeating: 0, count: rank)
        try runtime.check(runtime.function(62, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<Int64>?, Int) -> Status).self)(info, &dims, rank))
        let shape = dims.map { Int($0) }
        // The dimensions come from the model: multiply with overflow checks, refuse negatives.
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else { throw ONNXRuntimeError("the model's output shape \(shape) is not a valid tensor size") }
            count = product
        }
        var data: UnsafeMutableRawPointer? = nil
        try runtime.check(runtime.function(51, as: (@convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Status).self)(value, &data))
        guard let data else { throw ONNXRuntimeError("the model's output has no data") }
        let values = Array(UnsafeBufferPointer(start: data.assumingMemoryBound(to: Float.self), count: count))
        return Tensor(shape: shape, values: values)
    }
}
