// Inference benchmark, Swift side. Usage: inference-bench MODEL PHOTO [ITERATIONS] [THREADS]
// (INFERENCE_SPINNING=0: idle intra-op threads do not spin.) Prints JSON lines: the raw ONNX Runtime Run of one letterboxed photo at 640 and at the model's
// own input size, and the in-process photo path (decode + orient + letterbox + tensor + Run +
// decode/NMS) at the model's size. Library: ORT_LIBRARY_PATH or .ort/lib/libonnxruntime.so.
import Foundation
import Imaging
import Inference
import WalkaroundCore

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func percentile(_ values: [Double], _ share: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * share).rounded(.up)) - 1))]
}

/// The process's CPU time (user + system) in milliseconds.
func cpuMilliseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
}

func measure(_ name: String, iterations: Int, _ body: () throws -> Void) rethrows {
    for _ in 0..<3 { try body() }
    var times: [Double] = []
    let cpu = cpuMilliseconds()
    for _ in 0..<iterations {
        let start = ContinuousClock.now
        try body()
        times.append(milliseconds(ContinuousClock.now - start))
    }
    let cpuPerIteration = (cpuMilliseconds() - cpu) / Double(max(1, iterations))
    print(String(format: "{\"what\": \"%@\", \"median_ms\": %.2f, \"p90_ms\": %.2f, \"cpu_ms\": %.2f, \"iterations\": %d}", name, percentile(times, 0.5), percentile(times, 0.9), cpuPerIteration, iterations))
}

let arguments = CommandLine.arguments
if arguments.count >= 3, arguments[1] == "plates" {
    try await benchmarkPlates(folder: arguments[2], iterations: arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3)
    exit(0)
}
guard arguments.count >= 3, let data = FileManager.default.contents(atPath: arguments[2]) else {
    FileHandle.standardError.write(Data("usage: inference-bench MODEL PHOTO [ITERATIONS] [THREADS]\n".utf8))
    exit(2)
}
let iterations = arguments.count > 3 ? Int(arguments[3]) ?? 30 : 30
let threads = arguments.count > 4 ? Int(arguments[4]) ?? 2 : 2
let bytes = [UInt8](data)
let runtime = try ONNXRuntime(path: ONNXRuntime.defaultLibraryPath(environment: ProcessInfo.processInfo.environment))
let detector = try YOLODetector(
    runtime: runtime, configuration: ModelConfiguration(name: "bench", path: arguments[1]),
    settings: SessionSettings(
        intraOpThreads: threads, preferCUDA: false, allowSpinning: ProcessInfo.processInfo.environment["INFERENCE_SPINNING"] != "0"
    )
)
let size = detector.info.inputSize
let decoder = PhotoDecoder()
let at640 = YOLODetector.tensor([try decoder.decodeLetterboxed(bytes, size: 640).letterboxed])
let atModel = YOLODetector.tensor([try decoder.decodeLetterboxed(bytes, size: size).letterboxed])
print("{\"model\": \"\(arguments[1])\", \"input\": \(size), \"threads\": \(threads), \"onnxruntime\": \"\(runtime.version)\"}")
try measure("raw Run at 640", iterations: iterations) { _ = try detector.session.run(at640) }
try measure("raw Run at \(size)", iterations: iterations) { _ = try detector.session.run(atModel) }
var found = 0
try measure("photo: decode + letterbox + Run + NMS at \(size)", iterations: iterations) {
    let (_, boxed) = try decoder.decodeLetterboxed(bytes, size: size)
    found = try detector.detect([boxed])[0].count
}
print("{\"detections\": \(found)}")

/// `inference-bench plates FIXTURES [ROUNDS]`: crop → text per plate on the rendered plates
/// (tools/plates/render_plates.py), one Tesseract lane, sequential: the preparation alone and the
/// whole read, median and p90 over every plate and round.
func benchmarkPlates(folder: String, iterations: Int) async throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/plates.json"))
    let cases = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []).filter { $0["set"] as? String != "scenes" }
    let plates: [(RGBImage, WalkaroundCore.Box)] = try cases.map {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + ($0["image"] as? String ?? ""))))
        let b = $0["box"] as? [Double] ?? [0, 0, 1, 1]
        return (try PhotoDecoder().decode(bytes).image, WalkaroundCore.Box(x1: b[0], y1: b[1], x2: b[2], y2: b[3]))
    }
    let reader = try PlateReader(settings: .init(lanes: 1))
    let preparer = PlatePreparer()
    var prepare: [Double] = [], read: [Double] = []
    for (image, box) in plates { _ = await reader.read(image, box: box) }  // warm-up
    for _ in 0..<iterations {
        for (image, box) in plates {
            var start = ContinuousClock.now
            _ = preparer.prepare(image, box: box)
            prepare.append(milliseconds(ContinuousClock.now - start))
            start = ContinuousClock.now
            _ = await reader.read(image, box: box)
            read.append(milliseconds(ContinuousClock.now - start))
        }
    }
    for (name, times) in [("plate prepare (crop, band, deskew, isolate)", prepare), ("plate read (crop → text, Tesseract \(reader.version))", read)] {
        print(String(format: "{\"what\": \"%@\", \"median_ms\": %.2f, \"p90_ms\": %.2f, \"plates\": %d}", name, percentile(times, 0.5), percentile(times, 0.9), times.count))
    }
}
