/// PNGs of one flat colour at any size, compressed with deflate's fixed Huffman codes and runs of
/// distance 1: a 7000 × 7000 photo in well under a megabyte, or a decompression bomb (a small file
/// that inflates to hundreds of megabytes). The Adler-32 checksum is computed per run in closed
/// form, so a 49-megapixel file is made in milliseconds even in a debug build.
public enum FlatPNG {
    /// A `width` × `height` PNG (8-bit grey or RGB) whose every pixel is `value` in each channel.
    public static func png(width: Int, height: Int, value: UInt8 = 0, colourType: PNGWriter.ColourType = .grey) -> [UInt8] {
        let rowBytes = width * (colourType == .grey ? 1 : 3)
        // The raw stream: per row, filter byte 0 then the row's samples.
        var runs: [(value: UInt8, count: Int)] = []
        if value == 0 {
            runs = [(0, height * (rowBytes + 1))]
        } else {
            for _ in 0..<height { runs += [(0, 1), (value, rowBytes)] }
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += PNGWriter.chunk("IHDR", PNGWriter.be32(width) + PNGWriter.be32(height) + [8, colourType.rawValue, 0, 0, 0])
        out += PNGWriter.chunk("IDAT", zlib(runs))
        out += PNGWriter.chunk("IEND", [])
        return out
    }

    /// A zlib stream of the runs: one final fixed-Huffman block.
    static func zlib(_ runs: [(value: UInt8, count: Int)]) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL
        bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        var previous: UInt8? = nil
        var a: UInt64 = 1, b: UInt64 = 0
        for run in runs where run.count > 0 {
            var left = run.count
            // The first byte of a run is a literal unless it repeats the byte before it.
            if previous != run.value {
                bits.literal(run.value)
                left -= 1
            }
            while left >= 258 {
                bits.code(0xC5, length: 8)  // symbol 285: length 258
                bits.write(0, count: 5)  // distance code 0: distance 1
                left -= 258
            }
            while left >= 3 {
                let length = min(left, 10)
                bits.code(length - 2, length: 7)  // symbols 257–264: lengths 3–10
                bits.write(0, count: 5)
                left -= length
            }
            for _ in 0..<left { bits.literal(run.value) }
            previous = run.value
            // Adler-32 over `count` bytes of `value`: a grows by value each byte, b by a.
            let n = UInt64(run.count), v = UInt64(run.value)
            b = (b + (n % 65521) * a % 65521 + v * ((n * (n + 1) / 2) % 65521) % 65521) % 65521
            a = (a + n % 65521 * v) % 65521
        }
        bits.code(0, length: 7)  // end of block (256)
        return [0x78, 0x01] + bits.finished + PNGWriter.be32(Int(b << 16 | a))
    }
}

/// Deflate's bit order: values least significant bit first, Huffman codes most significant first.
struct BitWriter {
    var bytes: [UInt8] = []
    private var current: UInt32 = 0
    private var filled = 0

    mutating func write(_ value: Int, count: Int) {
        for bit in 0..<count {
            current |= UInt32((value >> bit) & 1) << filled
            filled += 1
            if filled == 8 { flush() }
        }
    }

    /// A Huffman code of `length` bits, written most significant bit first.
    mutating func code(_ value: Int, length: Int) {
        for bit in stride(from: length - 1, through: 0, by: -1) { write((value >> bit) & 1, count: 1) }
    }

    /// A literal byte in the fixed code: 0–143 are 8 bits from 0x30, 144–255 are 9 bits from 0x190.
    mutating func literal(_ byte: UInt8) {
        if byte < 144 { code(0x30 + Int(byte), length: 8) } else { code(0x190 + Int(byte) - 144, length: 9) }
    }

    var finished: [UInt8] {
        mutating get {
            if filled > 0 { flush() }
            return bytes
        }
    }

    private mutating func flush() {
        bytes.append(UInt8(current & 0xFF))
        current = 0
        filled = 0
    }
}
