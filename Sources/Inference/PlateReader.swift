import CTesseract
import Dispatch
import Foundation
import Imaging
import Logging
import Metrics
import WalkaroundCore

/// Why the plate reader could not start.
public struct PlateReaderError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads licence plates: a plate box on a decoded photo → prepared crop → Tesseract → the
/// European plate grammars.
///
/// Tesseract handles are not thread-safe, so each lane owns one handle and a serial queue; the
/// handle is created and used only on that queue, never shared. A request waits for a free lane,
/// so OCR never runs on the event-loop threads and never more than `lanes` at once.
public final class PlateReader: Sendable {
    public struct Settings: Sendable, Equatable {
        /// The folder holding `eng.traineddata` (Debian: /usr/share/tesseract-ocr/5/tessdata).
        public var dataPath: String
        public var lanes: Int
        public var preparer: PlatePreparer

        public init(dataPath: String = Settings.defaultDataPath, lanes: Int = 2, preparer: PlatePreparer = PlatePreparer()) {
            self.dataPath = dataPath
            self.lanes = lanes
            self.preparer = preparer
        }

        /// `TESSDATA_PREFIX` when set, else Debian's folder.
        public static var defaultDataPath: String {
            ProcessInfo.processInfo.environment["TESSDATA_PREFIX"] ?? "/usr/share/tesseract-ocr/5/tessdata"
        }
    }

    /// The characters plates use, plus the separators OCR may report.
    static let whitelist = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789- "

    private let lanes: [Lane]
    private let dispenser: LaneDispenser
    private let preparer: PlatePreparer
    private let duration: Metrics.Timer
    private let readCount: Counter
    private let unreadableCount: Counter

    /// Creates the lanes and initialises each handle on its own queue; throws when Tesseract or its
    /// English data cannot be loaded.
    public init(settings: Settings = Settings(), metrics: any MetricsFactory = MetricsSystem.factory) throws {
        guard FileManager.default.fileExists(atPath: settings.dataPath + "/eng.traineddata") else {
            throw PlateReaderError(
                description: "Tesseract's English data is missing: no eng.traineddata in \(settings.dataPath) (Debian: tesseract-ocr-eng)"
            )
        }
        lanes = try (0..<max(1, settings.lanes)).map { try Lane(index: $0, dataPath: settings.dataPath) }
        dispenser = LaneDispenser(count: lanes.count)
        preparer = settings.preparer
        duration = Metrics.Timer(label: "walkaround_plate_read_seconds", factory: metrics)
        readCount = Counter(label: "walkaround_plate_reads_total", dimensions: [("outcome", "read")], factory: metrics)
        unreadableCount = Counter(label: "walkaround_plate_reads_total", dimensions: [("outcome", "unreadable")], factory: metrics)
    }

    public var version: String { String(cString: TessVersion()) }

    /// The height plate boxes are scaled to before OCR; callers decode photos at least this fine.
    public var plateHeight: Int { preparer.plateHeight }

    /// The plate inside `box` (upright pixels of `image`), or nil when nothing plate-like is read.
    /// `preferredCountry` (the declared plate's) breaks ties between countries' formats.
    public func read(_ image: RGBImage, box: Box, preferredCountry: String? = nil) async -> PlateText? {
        let lane = await dispenser.take()
        defer { Task { await dispenser.give(lane) } }
        let start = ContinuousClock.now
        let preparer = self.preparer
        let result = await lanes[lane].run { ocr in
            Self.read(image, box: box, preferredCountry: preferredCountry, preparer: preparer, ocr: ocr)
        }
        duration.record(duration: ContinuousClock.now - start)
        (result == nil ? unreadableCount : readCount).increment()
        return result
    }

    /// Reads each plate box (upright photo pixels) of a photo file. The photo is decoded again,
    /// upright and just large enough that the smallest plate is `plateHeight` pixels high (the
    /// quality gate decoded it for the model's small input), so OCR sees the photo's own detail.
    /// Boxes whose plate cannot be read are left out.
    public func readPlates(in bytes: [UInt8], decoder: PhotoDecoder, boxes: [Box], preferredCountry: String? = nil) async
        -> [(box: Box, text: PlateText)]
    {
        guard !boxes.isEmpty, let header = try? decoder.header(bytes) else { return [] }
        let upright = header.uprightSize
        let smallest = boxes.map { $0.y2 - $0.y1 }.min() ?? 1
        let scale = min(1, Double(plateHeight) * 1.25 / max(1, smallest))
        let cover = Int((Double(max(upright.width, upright.height)) * scale).rounded(.up))
        guard let decoded = try? decoder.decode(bytes, cover: cover) else { return [] }
        let sx = Double(decoded.image.width) / Double(upright.width), sy = Double(decoded.image.height) / Double(upright.height)
        var found: [(box: Box, text: PlateText)] = []
        for box in boxes {
            let scaled = Box(x1: box.x1 * sx, y1: box.y1 * sy, x2: box.x2 * sx, y2: box.y2 * sy)
            if let text = await read(decoded.image, box: scaled, preferredCountry: preferredCountry) { found.append((box, text)) }
        }
        return found
    }

    /// Prepares the crop, reads the isolated characters and, when the grammar finds no plate in
    /// that, the whole stretched crop; the better reading wins.
    static func read(
        _ image: RGBImage, box: Box, preferredCountry: String?, preparer: PlatePreparer, ocr: TesseractHandle
    ) -> PlateText? {
        guard let prepared = preparer.prepare(image, box: box) else { return nil }
        var attempts: [PlateText] = []
        for candidate in [prepared.characters, prepared.grey].compactMap(\.self) {
            let (text, confidence) = ocr.recognise(candidate)
            if let reading = PlateText(ocr: text, confidence: confidence, preferredCountry: preferredCountry) {
                attempts.append(reading)
                if reading.country != nil { break }
            }
        }
        return attempts.max { ($0.country != nil ? 1 : 0, $0.confidence) < ($1.country != nil ? 1 : 0, $1.confidence) }
    }
}

/// A plate read from one crop.
public struct PlateText: Sendable, Equatable {
    /// What Tesseract returned, trimmed.
    public var text: String
    public var plate: String
    public var formatted: String
    public var country: String?
    public var confidence: Double

    /// The grammar's best reading of the OCR text; without one, the letters and digits as read at
    /// a third of the confidence. Nil when fewer than 2 characters were read.
    public init?(ocr text: String, confidence: Double, preferredCountry: String?) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        self.text = trimmed
        if let reading = PlateGrammar.best(trimmed, ocrConfidence: confidence, preferred: preferredCountry) {
            plate = reading.normalised
            formatted = reading.formatted
            country = reading.country
            self.confidence = reading.confidence
        } else {
            plate = VehicleRef.normalisedPlate(trimmed)
            guard plate.count >= 2 else { return nil }
            formatted = plate
            country = nil
            self.confidence = confidence / 3
        }
    }
}

extension PlateReading {
    /// The reading of `read` for the plate at `box` on a photo.
    public init(photoID: UUID, box: Box, read: PlateText, at date: Date) {
        self.init(
            photoID: photoID, box: box, text: read.text, plate: read.plate, formatted: read.formatted, country: read.country,
            confidence: read.confidence, createdAt: date
        )
    }
}

/// One Tesseract handle, made for single-line plates.
final class TesseractHandle {
    let api: OpaquePointer

    init(dataPath: String) throws {
        guard let api = TessBaseAPICreate() else { throw PlateReaderError(description: "TessBaseAPICreate failed") }
        // Dictionaries only hurt plates (they are not words); these two are init-time settings.
        let names = ["load_system_dawg", "load_freq_dawg"], values = ["0", "0"]
        var cNames = names.map { strdup($0) }, cValues = values.map { strdup($0) }
        defer { (cNames + cValues).forEach { free($0) } }
        let status = TessBaseAPIInit4(api, dataPath, "eng", OEM_DEFAULT, nil, 0, &cNames, &cValues, names.count, 0)
        guard status == 0 else {
            TessBaseAPIDelete(api)
            throw PlateReaderError(description: "Tesseract could not load English from \(dataPath) (status \(status))")
        }
        TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE)
        _ = TessBaseAPISetVariable(api, "tessedit_char_whitelist", PlateReader.whitelist)
        self.api = api
    }

    /// The text on one line and Tesseract's mean confidence (0…1).
    func recognise(_ image: GreyImage) -> (String, Double) {
        image.pixels.withUnsafeBufferPointer { buffer in
            TessBaseAPISetImage(api, buffer.baseAddress, Int32(image.width), Int32(image.height), 1, Int32(image.width))
        }
        TessBaseAPISetSourceResolution(api, 70)
        defer { TessBaseAPIClear(api) }
        guard TessBaseAPIRecognize(api, nil) == 0, let raw = TessBaseAPIGetUTF8Text(api) else { return ("", 0) }
        defer { TessDeleteText(raw) }
        let confidence = Double(max(0, TessBaseAPIMeanTextConf(api))) / 100
        return (String(cString: raw), confidence)
    }

    deinit {
        TessBaseAPIEnd(api)
        TessBaseAPIDelete(api)
    }
}

/// A serial queue and the handle that lives on it.
private final class Lane: @unchecked Sendable {
    // Only touched on `queue`.
    private let handle: TesseractHandle
    private let queue: DispatchQueue

    init(index: Int, dataPath: String) throws {
        queue = DispatchQueue(label: "walkaround.plates.\(index)")
        handle = try queue.sync { try TesseractHandle(dataPath: dataPath) }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (TesseractHandle) -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body(self.handle)) }
        }
    }
}

/// Hands out free lane numbers; callers wait in order when all are busy.
private actor LaneDispenser {
    private var free: [Int]
    private var waiting: [CheckedContinuation<Int, Never>] = []

    init(count: Int) {
        free = Array((0..<count).reversed())
    }

    func take() async -> Int {
        if let lane = free.popLast() { return lane }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func give(_ lane: Int) {
        if waiting.isEmpty {
            free.append(lane)
        } else {
            waiting.removeFirst().resume(returning: lane)
        }
    }
}
