/// European licence-plate formats, used to choose the best reading of OCR text, to fix the
/// classic OCR confusions where the format says whether a letter or a digit is meant, and to
/// guess the country.
///
/// A format is a list of groups, each a run of letters (`L`), digits (`D`) or either (`A`) with a
/// length range; separators between groups are what the country prints. Readings are compared by
/// the number of corrections they needed: a reading that fits a format as read beats one that
/// needed an O read as 0.
public enum PlateGrammar {
    public struct Group: Sendable, Equatable {
        public enum Kind: Sendable { case letters, digits, either }
        public var kind: Kind
        public var lengths: ClosedRange<Int>
        /// What is printed after this group ("-", " " or nothing).
        public var separator: String

        public init(_ kind: Kind, _ lengths: ClosedRange<Int>, _ separator: String = "") {
            self.kind = kind
            self.lengths = lengths
            self.separator = separator
        }
    }

    public struct Format: Sendable {
        /// ISO 3166-1 alpha-2 (as on the EU band: D is "DE" here).
        public var country: String
        public var groups: [Group]
        /// The letters the country uses (Spain: consonants only), nil when any may appear.
        public var letters: Set<Character>?
        /// The only values the first group may take (Swiss canton codes), nil when any may.
        public var prefixes: Set<String>?

        public init(_ country: String, _ groups: [Group], letters: String? = nil, prefixes: [String]? = nil) {
            self.country = country
            self.groups = groups
            self.letters = letters.map(Set.init)
            self.prefixes = prefixes.map(Set.init)
        }
    }

    /// One way to read the text as a plate.
    public struct Reading: Sendable, Equatable {
        /// Letters and digits only, upper case: the key plates are compared and stored by.
        public var normalised: String
        /// As printed, with the country's separators.
        public var formatted: String
        public var country: String
        /// Characters changed to fit the format (O→0, 1→I, …).
        public var corrections: Int
        /// Separators in the OCR text that fall where this format has none, and the other way round.
        public var layoutMismatches: Int
        /// 0…1: the OCR confidence, lowered for each correction and when other countries fit as well.
        public var confidence: Double
    }

    static func L(_ n: ClosedRange<Int>, _ separator: String = "") -> Group { Group(.letters, n, separator) }
    static func D(_ n: ClosedRange<Int>, _ separator: String = "") -> Group { Group(.digits, n, separator) }
    static func A(_ n: ClosedRange<Int>, _ separator: String = "") -> Group { Group(.either, n, separator) }
    static func L(_ n: Int, _ separator: String = "") -> Group { L(n...n, separator) }
    static func D(_ n: Int, _ separator: String = "") -> Group { D(n...n, separator) }

    /// The formats in use (current national schemes; older ones where still common on the road).
    public static let formats: [Format] = [
        Format("DE", [L(1...3, "-"), L(1...2, " "), D(1...4)]),  // M-AB 1234 (district, letters, number)
        Format("DE", [L(1...3, "-"), L(1...2, " "), D(1...3), Group(.letters, 1...1)]),  // electric / historic: M-AB 123E
        Format("FR", [L(2, "-"), D(3, "-"), L(2)]),  // AB-123-CD
        Format("IT", [L(2, " "), D(3, " "), L(2)]),  // AB 123 CD
        Format("ES", [D(4, " "), L(3)], letters: "BCDFGHJKLMNPRSTVWXYZ"),  // 1234 BCD
        Format("NL", [L(2, "-"), D(3, "-"), L(1)]),  // sidecode 7: XX-999-X
        Format("NL", [L(1, "-"), D(3, "-"), L(2)]),  // 8: X-999-XX
        Format("NL", [L(3, "-"), D(2, "-"), L(1)]),  // 9: XXX-99-X
        Format("NL", [L(1, "-"), D(2, "-"), L(3)]),  // 10: X-99-XXX
        Format("NL", [D(1, "-"), L(2, "-"), D(3)]),  // 11: 9-XX-999
        Format("NL", [D(3, "-"), L(2, "-"), D(1)]),  // 12: 999-XX-9
        Format("NL", [D(2, "-"), L(3, "-"), D(1)]),  // 5: 99-XXX-9
        Format("NL", [D(1, "-"), L(3, "-"), D(2)]),  // 6: 9-XXX-99
        Format("NL", [L(2, "-"), L(2, "-"), D(2)]),  // 4: XX-XX-99
        Format("NL", [D(2, "-"), L(2, "-"), L(2)]),  // 3 variant: 99-XX-XX
        Format("BE", [D(1, "-"), L(3, "-"), D(3)]),  // 1-ABC-123
        Format("PL", [L(2, " "), D(5)]),  // WA 12345
        Format("PL", [L(2, " "), D(4), L(1)]),  // WA 1234A
        Format("PL", [L(2, " "), D(3), L(2)]),  // WA 123AB
        Format("PL", [L(3, " "), D(4), L(1)]),  // WPI 1234A
        Format("PL", [L(3, " "), D(3), L(2)]),  // WPI 123AB
        Format("AT", [L(1...2, "-"), D(1...5, " "), L(1...3)], prefixes: austrianDistricts),  // W-12345 AB
        Format("CH", [L(2, " "), D(1...6)], prefixes: cantons),  // ZH 123456
        Format("GB", [L(2), D(2, " "), L(3)]),  // AB12 CDE
        Format("SE", [L(3, " "), D(3)]),  // ABC 123
        Format("SE", [L(3, " "), D(2), L(1)]),  // ABC 12A
        Format("DK", [L(2, " "), D(2, " "), D(3)]),  // AB 12 345
        Format("CZ", [D(1), L(1), A(1...1, " "), D(4)], letters: "ABCDEFHIJKLMNPRSTUVXYZ"),  // 1A2 3456, 1AB 2345 (no G, O, Q, W)
        Format("PT", [L(2, "-"), D(2, "-"), L(2)]),  // AA-00-AA (2020)
        Format("PT", [D(2, "-"), L(2, "-"), D(2)]),  // 00-AA-00
        Format("PT", [D(2, "-"), D(2, "-"), L(2)]),  // 00-00-AA
        Format("PT", [L(2, "-"), D(2, "-"), D(2)]),  // AA-00-00
    ]

    static let cantons = [
        "AG", "AI", "AR", "BE", "BL", "BS", "FR", "GE", "GL", "GR", "JU", "LU", "NE", "NW", "OW", "SG", "SH", "SO", "SZ", "TG", "TI",
        "UR", "VD", "VS", "ZG", "ZH",
    ]

    /// Austrian district codes (the letters before the coat of arms).
    static let austrianDistricts = [
        "AM", "B", "BA", "BL", "BM", "BN", "BR", "BZ", "DL", "DO", "E", "EF", "EU", "FB", "FE", "FF", "FK", "FR", "G", "GD", "GF", "GM",
        "GR", "GS", "GU", "HA", "HB", "HE", "HF", "HL", "HO", "I", "IL", "IM", "JE", "JO", "JU", "K", "KB", "KF", "KI", "KL", "KO", "KR",
        "KS", "KU", "L", "LA", "LB", "LE", "LF", "LI", "LL", "LN", "LZ", "MA", "MD", "ME", "MI", "MT", "MU", "MZ", "N", "ND", "NK", "O",
        "OP", "OW", "P", "PE", "PL", "PT", "RA", "RE", "RI", "RO", "S", "SB", "SD", "SE", "SL", "SO", "SP", "SR", "ST", "SV", "SW",
        "SZ", "T", "TA", "TU", "UU", "V", "VB", "VD", "VI", "VK", "VL", "VO", "W", "WB", "WE", "WL", "WN", "WO", "WT", "WU", "WY", "WZ",
        "ZE", "ZT",
    ]

    /// The OCR confusions a format may fix: what a digit read in a letter's place stands for, and
    /// the other way round.
    static let digitAsLetter: [Character: Character] = ["0": "O", "1": "I", "8": "B", "5": "S", "2": "Z"]
    static let letterAsDigit: [Character: Character] = ["O": "0", "I": "1", "B": "8", "S": "5", "Z": "2"]

    /// Every format the OCR text fits, best first: fewest corrections plus layout mismatches (the
    /// spaces and dashes OCR saw are evidence of the groups, but OCR also drops and invents them,
    /// so they cost instead of excluding), then the `preferred` country (a declared plate's, the
    /// station's), then the country code.
    public static func readings(_ text: String, ocrConfidence: Double = 1, preferred: String? = nil) -> [Reading] {
        var characters: [Character] = [], separators: Set<Int> = []
        for character in text.uppercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                characters.append(character)
            } else if !characters.isEmpty, character == " " || character == "-" || character == "." || character == "·" {
                separators.insert(characters.count)
            }
        }
        separators.remove(characters.count)
        guard (4...10).contains(characters.count) else { return [] }
        var found: [Reading] = []
        for format in formats {
            for (fixed, corrections, lengths) in fits(characters, format) {
                if let prefixes = format.prefixes, let first = lengths.first, !prefixes.contains(String(fixed.prefix(first))) { continue }
                var formatted = "", index = 0, boundaries: Set<Int> = []
                for (group, length) in zip(format.groups, lengths) {
                    formatted += String(fixed[index..<index + length]) + group.separator
                    index += length
                    if !group.separator.isEmpty && index < fixed.count { boundaries.insert(index) }
                }
                let mismatches = separators.isEmpty ? 0 : separators.symmetricDifference(boundaries).count
                found.append(
                    Reading(
                        normalised: String(fixed), formatted: formatted, country: format.country, corrections: corrections,
                        layoutMismatches: mismatches, confidence: ocrConfidence * pow(0.85, corrections) * pow(0.9, mismatches)
                    )
                )
            }
        }
        // One reading per country and text: keep its best.
        var best: [String: Reading] = [:]
        for reading in found {
            let key = reading.country + "|" + reading.normalised
            if let other = best[key], other.cost <= reading.cost { continue }
            best[key] = reading
        }
        var ranked = Array(best.values).sorted { a, b in
            if a.cost != b.cost { return a.cost < b.cost }
            if (a.country == preferred) != (b.country == preferred) { return a.country == preferred }
            return a.country < b.country
        }
        // Several countries fitting equally well share the certainty of the country guess.
        if let first = ranked.first {
            let rivals = Set(ranked.filter { $0.cost == first.cost && $0.country != first.country }.map(\.country)).count
            if rivals > 0, first.country != preferred {
                for index in ranked.indices { ranked[index].confidence /= Double(rivals + 1) }
            }
        }
        return ranked
    }

    /// The best reading, if any format fits.
    public static func best(_ text: String, ocrConfidence: Double = 1, preferred: String? = nil) -> Reading? {
        readings(text, ocrConfidence: ocrConfidence, preferred: preferred).first
    }

    /// Every way `characters` fits `format`: the characters with corrections applied, how many,
    /// and the length chosen for each group.
    static func fits(_ characters: [Character], _ format: Format) -> [([Character], Int, [Int])] {
        var results: [([Character], Int, [Int])] = []
        func place(_ groupIndex: Int, _ position: Int, _ sofar: [Character], _ corrections: Int, _ lengths: [Int]) {
            if groupIndex == format.groups.count {
                if position == characters.count { results.append((sofar, corrections, lengths)) }
                return
            }
            let group = format.groups[groupIndex]
            for length in group.lengths where position + length <= characters.count {
                var fixed = sofar, count = corrections, ok = true
                for character in characters[position..<position + length] {
                    switch group.kind {
                    case .letters:
                        if character.isLetter {
                            fixed.append(character)
                        } else if let letter = digitAsLetter[character] {
                            fixed.append(letter)
                            count += 1
                        } else {
                            ok = false
                        }
                        if ok, let allowed = format.letters, !allowed.contains(fixed.last!) { ok = false }
                    case .digits:
                        if character.isNumber {
                            fixed.append(character)
                        } else if let digit = letterAsDigit[character] {
                            fixed.append(digit)
                            count += 1
                        } else {
                            ok = false
                        }
                    case .either:
                        // A letter the country never uses, read where a digit may stand, is that digit.
                        if character.isLetter, let allowed = format.letters, !allowed.contains(character) {
                            if let digit = letterAsDigit[character] {
                                fixed.append(digit)
                                count += 1
                            } else {
                                ok = false
                            }
                        } else {
                            fixed.append(character)
                        }
                    }
                    if !ok { break }
                }
                if ok { place(groupIndex + 1, position + length, fixed, count, lengths + [length]) }
            }
        }
        place(0, 0, [], 0, [])
        return results
    }
}

extension PlateGrammar.Reading {
    /// What ranks readings: each correction and each layout mismatch counts one.
    var cost: Int { corrections + layoutMismatches }
}

private func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<exponent { result *= base }
    return result
}
