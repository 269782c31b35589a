import Foundation
import Testing
import WalkaroundCore

@Suite("European plate grammars")
struct PlateGrammarTests {
    /// (OCR text, country to prefer or nil, expected country, expected normalised, expected printed form, corrections)
    static let cases: [(String, String?, String, String, String, Int)] = [
        ("M-AB 1234", nil, "DE", "MAB1234", "M-AB 1234", 0),
        ("HH AB 12", nil, "DE", "HHAB12", "HH-AB 12", 0),
        ("m-a8 1234", nil, "DE", "MAB1234", "M-AB 1234", 1),  // 8 in the letters: B
        ("AB-123-CD", "FR", "FR", "AB123CD", "AB-123-CD", 0),
        ("A8-1Z3-CD", "FR", "FR", "AB123CD", "AB-123-CD", 2),  // 8 → B, Z → 2
        ("AB 123 CD", "IT", "IT", "AB123CD", "AB 123 CD", 0),
        ("1234 BCD", nil, "ES", "1234BCD", "1234 BCD", 0),
        ("I234 BCD", "ES", "ES", "1234BCD", "1234 BCD", 1),  // I in the number: 1 (as read, also Innsbruck: I-234 BCD)
        ("XX-999-X", nil, "NL", "XX999X", "XX-999-X", 0),
        ("12-ABC-3", nil, "NL", "12ABC3", "12-ABC-3", 0),
        ("1-ABC-123", nil, "BE", "1ABC123", "1-ABC-123", 0),
        ("WA 12345", "PL", "PL", "WA12345", "WA 12345", 0),
        ("WPI 1234A", nil, "PL", "WPI1234A", "WPI 1234A", 0),
        ("W-12345 AB", nil, "AT", "W12345AB", "W-12345 AB", 0),
        ("ZH 123456", nil, "CH", "ZH123456", "ZH 123456", 0),
        ("AB12 CDE", nil, "GB", "AB12CDE", "AB12 CDE", 0),
        ("A812 CDE", nil, "GB", "AB12CDE", "AB12 CDE", 1),
        ("ABC 123", "SE", "SE", "ABC123", "ABC 123", 0),
        ("ABC 12A", "SE", "SE", "ABC12A", "ABC 12A", 0),
        ("AB 12 345", "DK", "DK", "AB12345", "AB 12 345", 0),
        ("1A2 3456", nil, "CZ", "1A23456", "1A2 3456", 0),
        ("AA-00-AA", nil, "PT", "AA00AA", "AA-00-AA", 0),
        ("AA-0O-AA", nil, "PT", "AA00AA", "AA-00-AA", 1),  // O among the digits: 0
    ]

    @Test(arguments: cases)
    func readsEachCountrysFormat(_ testCase: (String, String?, String, String, String, Int)) throws {
        let (text, preferred, country, normalised, printed, corrections) = testCase
        let reading = try #require(PlateGrammar.best(text, preferred: preferred), "\(text) fits no format")
        #expect(reading.country == country, "\(text)")
        #expect(reading.normalised == normalised, "\(text)")
        #expect(reading.formatted == printed, "\(text)")
        #expect(reading.corrections == corrections, "\(text)")
        #expect(reading.normalised == VehicleRef.normalisedPlate(printed), "the stored key is the normalised plate")
    }

    @Test func confusionsAreFixedOnlyWhereTheFormatSaysWhichIsMeant() throws {
        // Spain: digits then consonants. An O in the letters stays a letter and is refused (no vowels);
        // read as the digit 0 it would not fit the letters either, so there is no Spanish reading.
        #expect(PlateGrammar.readings("1234 BOD").allSatisfy { $0.country != "ES" })
        // Without the country, "I234 BCD" is Innsbruck as read, or Spain with one correction.
        #expect(PlateGrammar.readings("I234 BCD").prefix(2).map(\.country).sorted() == ["AT", "ES"])
        // Czech third character may be a letter or a digit: not "fixed" when it is a Czech letter...
        let czech = try #require(PlateGrammar.best("1AB 2345"))
        #expect(czech.country == "CZ" && czech.normalised == "1AB2345" && czech.corrections == 0)
        // ...but Czech plates never use O, so an O there is the digit 0.
        let zero = try #require(PlateGrammar.readings("9TO 4985").first { $0.country == "CZ" })
        #expect(zero.normalised == "9T04985" && zero.corrections == 1)
        // A reading that needs no correction beats one that needs one.
        let readings = PlateGrammar.readings("AB-123-CD")
        #expect(readings.first?.corrections == 0)
    }

    @Test func ambiguousCountriesShareTheConfidence() throws {
        // LL DDD LL is both French and Italian.
        let unsure = try #require(PlateGrammar.best("AB 123 CD"))
        #expect(unsure.confidence == 0.5, "\(PlateGrammar.readings("AB 123 CD").prefix(3))")
        let italian = try #require(PlateGrammar.best("AB 123 CD", preferred: "IT"))
        #expect(italian.country == "IT" && italian.confidence == 1)
        // Each correction costs confidence.
        #expect(try #require(PlateGrammar.best("A8-1Z3-CD", preferred: "FR")).confidence < 0.75)
    }

    @Test func textThatIsNoPlateHasNoReading() throws {
        #expect(PlateGrammar.best("") == nil)
        #expect(PlateGrammar.best("HELLO WORLD") == nil)
        #expect(PlateGrammar.best("€$%&") == nil)
        // Not a Swiss canton: only readings that change characters and move the groups remain.
        let forced = try #require(PlateGrammar.best("QQ 123456"))
        #expect(forced.country != "CH" && forced.corrections > 0 && forced.confidence < 0.7)
    }
}

@Suite("Plate voting across photos")
struct PlateVoteTests {
    static func reading(_ plate: String, _ confidence: Double, country: String? = "DE") -> PlateReading {
        PlateReading(
            photoID: UUID(), box: Box(x1: 0, y1: 0, x2: 10, y2: 5), text: plate, plate: plate, formatted: plate, country: country,
            confidence: confidence, createdAt: Date()
        )
    }

    @Test func agreeingPhotosOutvoteOneSurePhotoAndConfirmTheDeclaredPlate() {
        let verdict = PlateVote.vote(
            [Self.reading("MAB1234", 0.7), Self.reading("MAB1234", 0.6), Self.reading("MAB1284", 0.9)], declared: "M-AB 1234"
        )
        #expect(verdict.plate == "MAB1234" && verdict.agreeing == 2 && verdict.readings == 3)
        #expect(verdict.check == .match && !verdict.mismatch)
        // Support 1 − 0.3·0.4 = 0.88, share 1.3 / 2.2.
        #expect(abs(verdict.confidence - 0.88 * 1.3 / 2.2) < 1e-9)
    }

    @Test func anotherCarIsAMismatchOnlyWhenTheVoteIsSure() {
        let sure = PlateVote.vote([Self.reading("BXY99", 0.8), Self.reading("BXY99", 0.7)], declared: "M-AB 1234")
        #expect(sure.check == .mismatch && sure.mismatch)
        let unsure = PlateVote.vote([Self.reading("BXY99", 0.4), Self.reading("MAB1234", 0.35)], declared: "M-AB 1234")
        #expect(unsure.plate == "BXY99" && unsure.check == .uncertain && !unsure.mismatch)
    }

    @Test func nothingReadAndNothingDeclared() {
        #expect(PlateVote.vote([], declared: "M-AB 1234").check == .unread)
        #expect(PlateVote.vote([Self.reading("MAB1234", 0.9)], declared: nil).check == .undeclared)
        // A reading no format fits votes at half weight: a formatted reading of equal confidence wins.
        let verdict = PlateVote.vote([Self.reading("XQ7", 0.8, country: nil), Self.reading("MAB1234", 0.6)], declared: nil)
        #expect(verdict.plate == "MAB1234")
    }
}
