import Foundation
import Imaging
import Pipeline
import TestFixtures
import Testing

/// The in-memory handoff of uploads to the worker of the same process: bounded by bytes and age,
/// taken once, never in the way of the file (anything missing is read from the photo store).
@Suite struct UploadHandoffTests {
    @Test func bytesAreTakenOnceAndTheOldestGoFirstWhenFull() {
        let handoff = UploadHandoff(capacity: 10, maxAge: .seconds(60))
        handoff.put([1, 2, 3, 4], sha256: "a")
        handoff.put([5, 6, 7, 8], sha256: "b")
        #expect(handoff.heldBytes == 8)
        handoff.put([9, 9, 9, 9], sha256: "c")  // 12 > 10: "a" goes
        #expect(handoff.take("a") == nil)
        #expect(handoff.take("b")?.bytes == [5, 6, 7, 8])
        #expect(handoff.take("b") == nil, "taken once")
        #expect(handoff.take("c")?.bytes == [9, 9, 9, 9])
        #expect(handoff.heldBytes == 0)
        handoff.put([UInt8](repeating: 0, count: 11), sha256: "huge")
        #expect(handoff.take("huge") == nil && handoff.heldBytes == 0, "larger than the capacity: not kept")
        handoff.put([1], sha256: "d")
        handoff.put([2], sha256: "d")
        #expect(handoff.heldBytes == 1 && handoff.take("d")?.bytes == [2], "the same address twice is held once")
    }

    @Test func oldBytesAreNotHandedOver() async throws {
        let handoff = UploadHandoff(capacity: 100, maxAge: .milliseconds(50))
        handoff.put([1, 2], sha256: "a")
        try await Task.sleep(for: .milliseconds(120))
        #expect(handoff.take("a") == nil, "older than the age limit: the worker reads the file")
        handoff.put([3], sha256: "b")
        try await Task.sleep(for: .milliseconds(120))
        handoff.put([4], sha256: "c")  // putting drops what is too old
        #expect(handoff.heldBytes == 1)
    }

    /// The decode starts while the upload is stored: the worker gets the same analysis it would
    /// have made, only when an analyzer is set and within the limit of analyses at once.
    @Test func anEarlyAnalysisIsTheWorkersAnalysisAndIsBounded() async throws {
        let bytes = SyntheticPhoto.acceptableJPEG(width: 1600, height: 1200, seed: 7)
        let analyzer = PhotoAnalyzer(modelSize: 320)
        let handoff = UploadHandoff(capacity: 64 << 20, maxAge: .seconds(60), maxEarlyAnalyses: 1)
        #expect(handoff.startAnalysis(bytes) == nil, "no analyzer set: the worker decodes")
        handoff.useAnalyzer { analyzer }
        let early = try #require(handoff.startAnalysis(bytes))
        #expect(handoff.startAnalysis(bytes) == nil, "one at a time at most")
        handoff.put(bytes, sha256: "a", analysis: early)
        #expect(handoff.heldBytes == bytes.count + 12 * 320 * 320, "the decoded photo counts")
        let handed = try #require(handoff.take("a"))
        let done = try await #require(handed.analysis).result.value
        let direct = analyzer.analyze(bytes)
        #expect(done.report == direct.report)
        #expect(done.letterboxed?.letterbox.size == 320 && done.letterboxed?.content == direct.letterboxed?.content)
        // Finished: another may start.
        #expect(handoff.startAnalysis(bytes) != nil)
    }
}
