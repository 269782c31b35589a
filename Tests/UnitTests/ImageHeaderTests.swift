import Imaging
import Testing
import WalkaroundCore

@Suite("Image headers and format sniffing")
struct ImageHeaderTests {
    @Test func sniffsByMagicBytesOnly() {
        #expect(ImageFormat(sniffing: [0xFF, 0xD8, 0xFF, 0xE1]) == .jpeg)
        #expect(ImageFormat(sniffing: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat(sniffing: Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat(sniffing: [0xFF, 0xD8]) == nil)
        #expect(ImageFormat(sniffing: [UInt8]()) == nil)
    }

    @Test func readsJPEGFrameHeaderAfterOtherSegments() throws {
        // SOI, APP1 (Exif-sized filler), DQT filler, fill bytes, SOF2 (progressive) 4032x3024, 3 components.
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 1, 2, 3, 4, 0xFF, 0xDB, 0x00, 0x04, 0, 0, 0xFF, 0xFF]
        bytes += [0xFF, 0xC2, 0x00, 0x11, 0x08, 0x0B, 0xD0, 0x0F, 0xC0, 0x03, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]
        let header = try ImageHeader.read(bytes)
        #expect(header == ImageHeader(format: .jpeg, width: 4032, height: 3024, components: 3))
    }

    @Test func skipsDHTWhichSharesTheFrameMarkerRange() throws {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x04, 0, 0]
        bytes += [0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 1, 0x11, 0]
        #expect(try ImageHeader.read(bytes) == ImageHeader(format: .jpeg, width: 32, height: 16, components: 1))
    }

    @Test(arguments: [
        [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x42] as [UInt8],  // scan before any frame header
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A],  // truncated inside a segment
        [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x00, 0x00, 0x10, 0x03],  // zero height
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00],  // impossible segment length
    ])
    func refusesCorruptJPEG(_ bytes: [UInt8]) {
        #expect(throws: ImageHeaderError.self) { try ImageHeader.read(bytes) }
    }

    @Test func readsPNGHeaderAndRefusesBrokenOnes() throws {
        func be32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let good = signature + be32(13) + Array("IHDR".utf8) + be32(1170) + be32(2532) + [16, 6, 0, 0, 0]
        #expect(try ImageHeader.read(good) == ImageHeader(format: .png, width: 1170, height: 2532, components: 4))
        let badColour = signature + be32(13) + Array("IHDR".utf8) + be32(10) + be32(10) + [8, 5, 0, 0, 0]
        #expect(throws: ImageHeaderError.self) { try ImageHeader.read(badColour) }
        let noIHDR = signature + be32(13) + Array("tEXt".utf8) + be32(10) + be32(10) + [8, 2, 0, 0, 0]
        #expect(throws: ImageHeaderError.self) { try ImageHeader.read(noIHDR) }
        #expect(throws: ImageHeaderError.notAnImage) { try ImageHeader.read(Array("plain text".utf8)) }
    }
}
