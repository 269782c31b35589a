// Benchmark: decode + orient + letterbox of one photo to the model size, repeated.
// Usage: imaging-bench PHOTO [ITERATIONS] [SIZE]; prints one JSON line.
// Peak memory is the process's maximum resident set (getrusage) after the loop, minus the
// resident set before the first decode (with the file already read): the cost of one photo in flight.
import Foundation
import Imaging

func residentMegabytes() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: imaging-bench PHOTO [ITERATIONS] [SIZE]\n".utf8))
    exit(2)
}
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 30 : 30
let size = arguments.count > 3 ? Int(arguments[3]) ?? 640 : 640
let bytes = [UInt8](data)
let decoder = PhotoDecoder()
let baseline = residentMegabytes()
var times: [Double] = []
var checksum = 0
for iteration in 0..<(iterations + 3) {
    let start = ContinuousClock.now
    let (_, boxed) = try decoder.decodeLetterboxed(bytes, size: size)
    let elapsed = ContinuousClock.now - start
    checksum &+= Int(boxed.canvas.pixels[(size / 2 * size + size / 2) * 3])
    if iteration >= 3 {  // warm-up runs are not counted
        times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
    }
}
let peak = residentMegabytes()
// The libjpeg-turbo decode alone (same scale), to show how much of the total is entropy decoding.
let header = try ImageHeader.read(bytes)
var decodeTimes: [Double] = []
for _ in 0..<iterations {
    let start = ContinuousClock.now
    let stored = try JPEGCodec.decode(bytes, header: header, cover: size)
    let elapsed = ContinuousClock.now - start
    checksum &+= Int(stored.pixels[0])
    decodeTimes.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
}

// The service's processing stage: one decode at the model's scale plus the quality measures.
let analyzer = PhotoAnalyzer(decoder: decoder, modelSize: size)
var analyzeTimes: [Double] = []
for _ in 0..<iterations {
    let start = ContinuousClock.now
    let analysis = analyzer.analyze(bytes)
    let elapsed = ContinuousClock.now - start
    checksum &+= analysis.report.accepted ? 1 : 0
    analyzeTimes.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
}

func percentile(_ values: [Double], _ share: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * share).rounded(.up)) - 1))]
}
print(
    String(
        format: "{\"tool\": \"walkaround (libjpeg-turbo, Swift)\", \"median_ms\": %.2f, \"p90_ms\": %.2f, \"peak_rss_mb\": %.1f, \"photo_rss_mb\": %.1f, \"iterations\": %d, \"decode_only_median_ms\": %.2f, \"analyze_median_ms\": %.2f, \"checksum\": %d}",
        percentile(times, 0.5), percentile(times, 0.9), peak, peak - baseline, iterations, percentile(decodeTimes, 0.5), percentile(analyzeTimes, 0.5), checksum
    )
)
