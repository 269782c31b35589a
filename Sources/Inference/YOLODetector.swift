import Imaging
import Logging
import WalkaroundCore

/// What a configured model is for.
public enum ClassRole: String, Sendable, Codable {
    /// A damage class: its detections are evidence for comparison and reports.
    case damage
    /// `license_plate`: crops for the plate reader.
    case plate
    /// A car part (a part model's class): its box names the part a damage on it is on. The class
    /// name is a `CarPart` name, or `parts` in the models file maps it to one.
    case part
    /// Detected but not used (not stored).
    case ignore
}

/// One configured detection model.
public struct ModelConfiguration: Sendable, Equatable {
    public var name: String
    public var path: String
    public var confidenceThreshold: Double
    public var iouThreshold: Double
    public var maxDetections: Int
    /// Roles by class name; classes not listed have `defaultRole`, or when it is nil are
    /// `damage`, except `license_plate` (`plate`).
    public var roles: [String: ClassRole]
    /// The role of every class `roles` does not list (`part` for a part model).
    public var defaultRole: ClassRole?
    /// For classes whose role is `part`: the `CarPart` each names, where the class name is not one.
    public var parts: [String: CarPart]

    public init(
        name: String, path: String, confidenceThreshold: Double = 0.25, iouThreshold: Double = 0.7, maxDetections: Int = 300,
        roles: [String: ClassRole] = [:], defaultRole: ClassRole? = nil, parts: [String: CarPart] = [:]
    ) {
        self.name = name
        self.path = path
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
        self.roles = roles
        self.defaultRole = defaultRole
        self.parts = parts
    }

    public func role(of className: String) -> ClassRole {
        roles[className] ?? defaultRole ?? (className == "license_plate" ? .plate : .damage)
    }

    /// The part a `part` class names (nil for other roles, or a part class that names none).
    public func part(of className: String) -> CarPart? {
        guard role(of: className) == .part else { return nil }
        return parts[className] ?? CarPart(rawValue: className)
    }

    /// Refuses a model whose `part` classes do not all name a part of the documented vocabulary
    /// (roles for classes the model lacks are harmless, as they were before part models).
    public func check(classes: [String]) throws {
        let unnamed = classes.filter { role(of: $0) == .part && (part(of: $0) ?? .unknown) == .unknown }
        guard unnamed.isEmpty else {
            throw ONNXRuntimeError(
                "model \(name): classes with role part must be car parts (\(CarPart.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", "))) or be mapped to one in \"parts\": \(unnamed.joined(separator: ", "))"
            )
        }
    }
}

/// What Ultralytics writes into an exported model's metadata, read back.
public struct YOLOModelInfo: Sendable, Equatable {
    /// The square input side the model was exported for.
    public var inputSize: Int
    public var classNames: [String]
    public var stride: Int
    public var task: String

    /// Parses the metadata values: `imgsz` "[640, 640]", `names` "{0: 'dent', 1: 'scratch'}",
    /// `stride` "32", `task` "detect".
    public init(imgsz: String?, names: String?, stride: String?, task: String?) throws {
        let sizes = (imgsz ?? "").split(whereSeparator: { !$0.isNumber }).map { Int($0) }
        guard let first = sizes.first, let first else { throw ONNXRuntimeError("the model's metadata has no imgsz (not an Ultralytics export?)") }
        guard sizes.allSatisfy({ $0 == first }) else { throw ONNXRuntimeError("the model's input \(imgsz ?? "") is not square") }
        // The metadata is outside input: sizes beyond this would make tensors no machine holds.
        guard Self.inputSizes.contains(first) else {
            throw ONNXRuntimeError("the model's imgsz \(first) is outside \(Self.inputSizes.lowerBound)...\(Self.inputSizes.upperBound)")
        }
        inputSize = first
        classNames = try Self.parseNames(names ?? "")
        guard classNames.count <= Self.maxClasses else { throw ONNXRuntimeError("the model declares \(classNames.count) classes, more than \(Self.maxClasses)") }
        let strideValue = Int(stride ?? "32")
        guard let strideValue, (1...first).contains(strideValue) else {
            throw ONNXRuntimeError("the model's stride \(stride ?? "") is not between 1 and its input size")
        }
        self.stride = strideValue
        self.task = task ?? "detect"
        guard self.task == "detect" else { throw ONNXRuntimeError("the model's task is \(self.task), not detect") }
    }

    /// The input sides a model may declare.
    public static let inputSizes = 32...4096
    /// The most classes a model may declare.
    public static let maxClasses = 10_000

    /// Reads a Python dict literal of int keys and quoted strings, in key order.
    static func parseNames(_ text: String) throws -> [String] {
        var names: [Int: String] = [:]
        var rest = Substring(text)
        while let colon = rest.firstIndex(of: ":") {
            let key = rest[..<colon].filter(\.isNumber)
            var after = rest[rest.index(after: colon)...].drop { $0 == " " }
            guard let quote = after.first, quote == "'" || quote == "\"", let index = Int(key) else { break }
            after = after.dropFirst()
            guard let end = after.firstIndex(of: quote) else { break }
            names[index] = String(after[..<end])
            rest = after[after.index(after: end)...]
        }
        guard !names.isEmpty, names.keys.sorted() == Array(0..<names.count) else {
            throw ONNXRuntimeError("the model's metadata has no class names (names = \(text.prefix(80)))")
        }
        return (0..<names.count).map { names[$0]! }
    }
}

/// A detection in original-photo pixels, before it is stored.
public struct FoundObject: Sendable, Equatable {
    public var classIndex: Int
    public var className: String
    public var confidence: Float
    public var box: Box

    public init(classIndex: Int, className: String, confidence: Float, box: Box) {
        self.classIndex = classIndex
        self.className = className
        self.confidence = confidence
        self.box = box
    }
}

/// A YOLOv8/YOLO11 detection model on ONNX Runtime: loads and checks the model, turns letterboxed
/// photos into its input tensor, and its output back into detections in photo pixels.
public final class YOLODetector: Sendable {
    public let configuration: ModelConfiguration
    public let info: YOLOModelInfo
    public let session: ONNXSession

    public init(runtime: ONNXRuntime, configuration: ModelConfiguration, settings: SessionSettings = SessionSettings(), logger: Logger? = nil) throws {
        let session = try ONNXSession(runtime: runtime, modelPath: configuration.path, settings: settings, logger: logger)
        let info = try YOLOModelInfo(
            imgsz: try session.metadata("imgsz"), names: try session.metadata("names"), stride: try session.metadata("stride"),
            task: try session.metadata("task")
        )
        try configuration.check(classes: info.classNames)
        self.session = session
        self.info = info
        self.configuration = configuration
        // One run on a blank canvas: proves the output has the detect layout before the model is used.
        let probe = try session.run(Self.tensor([LetterboxedPhoto.blank(size: info.inputSize)]))
        try Self.checkLayout(probe.shape, classes: info.classNames.count, batch: 1, model: configuration.path)
    }

    public static func checkLayout(_ shape: [Int], classes: Int, batch: Int, model: String) throws {
        guard shape.count == 3, shape[0] == batch, shape[1] == 4 + classes, shape[2] > 0 else {
            throw ONNXRuntimeError(
                "\(model) is not a YOLO detection model: its output is \(shape), expected [\(batch), \(4 + classes), anchors] (4 box values and \(classes) class scores per anchor)"
            )
        }
    }

    /// NCHW float32 RGB in 0…1, one canvas after another.
    public static func tensor(_ photos: [LetterboxedPhoto]) -> Tensor {
        guard let size = photos.first?.letterbox.size else { return Tensor(shape: [0, 3, 0, 0], values: []) }
        let plane = size * size
        var values = [Float](repeating: 0, count: photos.count * 3 * plane)
        values.withUnsafeMutableBufferPointer { out in
            for (n, photo) in photos.enumerated() {
                precondition(photo.letterbox.size == size, "every photo in a batch must have the same canvas size")
                photo.canvas.pixels.withUnsafeBufferPointer { pixels in
                    let base = n * 3 * plane
                    for i in 0..<plane {
                        out[base + i] = Float(pixels[i * 3]) / 255
                        out[base + plane + i] = Float(pixels[i * 3 + 1]) / 255
                        out[base + 2 * plane + i] = Float(pixels[i * 3 + 2]) / 255
                    }
                }
            }
        }
        return Tensor(shape: [photos.count, 3, size, size], values: values)
    }

    /// Runs the model once on several inputs (`[k, 3, size, size]` each), concatenated; each
    /// input's share of the output (`[k, 4 + classes, anchors]`), checked for the YOLO layout.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard let first = inputs.first else { return [] }
        let images = inputs.reduce(0) { $0 + $1.shape[0] }
        let joined = inputs.count == 1 ? first : Tensor(shape: [images] + first.shape.dropFirst(), values: inputs.flatMap(\.values))
        let output = try session.run(joined)
        try Self.checkLayout(output.shape, classes: info.classNames.count, batch: images, model: configuration.path)
        let perImage = output.shape[1] * output.shape[2]
        var offset = 0
        return inputs.map { input in
            let count = input.shape[0] * perImage
            defer { offset += count }
            return Tensor(shape: [input.shape[0], output.shape[1], output.shape[2]], values: Array(output.values[offset..<(offset + count)]))
        }
    }

    /// Runs the model on a batch of photos letterboxed to its input size.
    public func detect(_ photos: [LetterboxedPhoto]) throws -> [[FoundObject]] {
        guard !photos.isEmpty else { return [] }
        let output = try session.run(Self.tensor(photos))
        try Self.checkLayout(output.shape, classes: info.classNames.count, batch: photos.count, model: configuration.path)
        return photos.enumerated().map { index, photo in
            decode(output, image: index, letterbox: photo.letterbox)
        }
    }

    /// One image's detections from a `[batch, 4 + classes, anchors]` output (see the static form).
    public func decode(_ output: Tensor, image: Int, letterbox: Letterbox) -> [FoundObject] {
        Self.decode(
            output, image: image, letterbox: letterbox, classNames: info.classNames, confidenceThreshold: configuration.confidenceThreshold,
            iouThreshold: configuration.iouThreshold, maxDetections: configuration.maxDetections
        )
    }

    /// One image's detections from a `[batch, 4 + classes, anchors]` output: the best class per
    /// anchor when its score is above the confidence threshold (strictly, as Ultralytics), boxes
    /// from centre and size in canvas pixels, class-wise NMS, then mapped to photo pixels.
    public static func decode(
        _ output: Tensor, image: Int, letterbox: Letterbox, classNames: [String], confidenceThreshold: Double, iouThreshold: Double,
        maxDetections: Int
    ) -> [FoundObject] {
        let classes = classNames.count, anchors = output.shape[2]
        let threshold = Float(confidenceThreshold)
        var candidates: [FoundObject] = []
        output.values.withUnsafeBufferPointer { values in
            let base = image * (4 + classes) * anchors
            for anchor in 0..<anchors {
                var best = -Float.infinity, bestClass = 0
                for c in 0..<classes {
                    let score = values[base + (4 + c) * anchors + anchor]
                    if score > best {
                        best = score
                        bestClass = c
                    }
                }
                guard best > threshold, best.isFinite else { continue }
                let cx = Double(values[base + anchor]), cy = Double(values[base + anchors + anchor])
                let w = Double(values[base + 2 * anchors + anchor]), h = Double(values[base + 3 * anchors + anchor])
                let canvasBox = Box(x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2)
                // A model that answers NaN or infinity has no box here: skip rather than store it.
                guard canvasBox.isFinite else { continue }
                candidates.append(FoundObject(classIndex: bestClass, className: classNames[bestClass], confidence: best, box: canvasBox))
            }
        }
        let kept = nonMaximumSuppression(candidates, iouThreshold: iouThreshold, limit: maxDetections)
        return kept.map { object in
            var mapped = object
            mapped.box = letterbox.toSource(object.box)
            return mapped
        }
    }

    /// Greedy NMS within each class: most confident first, dropping boxes that overlap a kept box
    /// of the same class by more than `iouThreshold`.
    public static func nonMaximumSuppression(_ objects: [FoundObject], iouThreshold: Double, limit: Int) -> [FoundObject] {
        let sorted = objects.enumerated().sorted { a, b in
            a.element.confidence != b.element.confidence ? a.element.confidence > b.element.confidence : a.offset < b.offset
        }.map(\.element)
        var kept: [FoundObject] = []
        for candidate in sorted {
            if kept.count >= limit { break }
            let overlaps = kept.contains { $0.classIndex == candidate.classIndex && iou($0.box, candidate.box) > iouThreshold }
            if !overlaps { kept.append(candidate) }
        }
        return kept
    }

    public static func iou(_ a: Box, _ b: Box) -> Double { a.iou(b) }
}

extension LetterboxedPhoto {
    /// A padding-grey canvas, for probing a model.
    static func blank(size: Int) -> LetterboxedPhoto {
        let canvas = RGBImage(width: size, height: size, fill: RGB(padValue, padValue, padValue))
        return LetterboxedPhoto(letterbox: Letterbox(sourceWidth: size, sourceHeight: size, size: size), canvas: canvas, content: canvas)
    }
}
