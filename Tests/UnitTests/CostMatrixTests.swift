import Foundation
import TestFixtures
import Testing
@testable import WalkaroundCore

/// The repair cost matrix: exact amounts, validated on load with every problem named, priced by
/// part with a `*` fallback, and a named missing cell instead of a guess.
@Suite struct CostMatrixTests {
    static let valid = #"""
        {"currency": "EUR", "entries": [
          {"part": "front_door_left", "class": "scratch", "severity": "minor", "amount": "180.5", "labour_hours": "1.25"},
          {"part": "*", "class": "scratch", "severity": "minor", "amount": "95"},
          {"part": "boot_lid", "class": "dent", "severity": "moderate", "amount": "420.07"}
        ]}
        """#

    @Test func amountsAreExactMinorUnits() throws {
        let matrix = try CostMatrix.load(Data(Self.valid.utf8))
        #expect(matrix.currency == "EUR")
        #expect(matrix.price(part: .frontDoorLeft, className: "scratch", severity: .minor) == .init(amount: 18_050, labourHundredths: 125))
        #expect(matrix.price(part: .roof, className: "scratch", severity: .minor)?.amount == 9_500, "the * cell")
        #expect(matrix.price(part: .bootLid, className: "dent", severity: .moderate)?.amount == 42_007)
        #expect(matrix.price(part: .bootLid, className: "dent", severity: .minor) == nil)
        #expect(CostMatrix.hundredths("0.1", max: 100) == 10)
        #expect(CostMatrix.hundredths("999999999.99", max: CostMatrix.maxAmount) == nil, "above the limit, no overflow")
        for bad in ["", ".5", "1.", "1.234", "-3", "+3", "1e3", "12,50", "٣", "99999999999999999999"] {
            #expect(CostMatrix.hundredths(bad, max: CostMatrix.maxAmount) == nil, "\(bad)")
        }
    }

    @Test func everyProblemIsNamed() {
        let bad = #"""
            {"currency": "euro", "entries": [
              {"part": "bumper", "class": "dent", "severity": "minor", "amount": "10"},
              {"part": "roof", "class": "hail", "severity": "minor", "amount": "10"},
              {"part": "roof", "class": "dent", "severity": "awful", "amount": 10.5},
              {"part": "roof", "class": "dent", "severity": "minor", "amount": "10", "labour_hours": "lots"},
              {"part": "roof", "class": "dent", "severity": "minor", "amount": "12"},
              {"part": "roof", "class": "dent", "severity": "minor", "amount": "13"},
              "nonsense"
            ]}
            """#
        #expect {
            try CostMatrix.load(Data(bad.utf8))
        } throws: { error in
            guard let invalid = error as? CostMatrix.Invalid else { return false }
            let text = invalid.problems.joined(separator: "\n")
            return text.contains("currency") && text.contains("entry 1: part") && text.contains("entry 2: class")
                && text.contains("entry 3: severity") && text.contains("entry 3: amount") && text.contains("entry 4: labour_hours")
                && text.contains("entry 6: roof × dent × minor is priced twice") && text.contains("entry 7: not an object")
        }
        #expect(throws: CostMatrix.Invalid(problems: ["not a JSON object"])) { try CostMatrix.load(Data("[1]".utf8)) }
    }

    @Test func newDamagesAreEstimatedAndMissingCellsNamed() throws {
        let matrix = try CostMatrix.load(Data(Self.valid.utf8))
        let report = sampleReport()
        // D1: a new minor scratch on the left front door; D2 is pre-existing (not priced).
        var damages = report.damages
        damages[0].severity = .minor
        let estimate = matrix.estimate(damages)
        #expect(estimate.lines.map(\.damage) == ["D1"])
        #expect(estimate.totalMinor == 18_050)
        damages[0].severity = .severe
        let missing = matrix.estimate(damages)
        #expect(missing.totalMinor == 0)
        #expect(missing.lines.first?.noEstimate == "no price for front_door_left × scratch × severe")
    }
}

/// The document a matrix set through the API is stored as reads back to the same matrix.
@Suite struct CostMatrixDocumentTests {
    @Test func theStoredDocumentReadsBackToTheSameMatrix() throws {
        let matrix = try CostMatrix.load(Data(CostMatrixTests.valid.utf8))
        let again = try CostMatrix.load(matrix.document())
        #expect(again == matrix)
        #expect(again.entries.map(\.part) == ["*", "boot_lid", "front_door_left"], "sorted, * first")
        #expect(again.entries.first { $0.part == "front_door_left" }?.amount == "180.50")
        #expect(again.entries.first { $0.part == "front_door_left" }?.labourHours == "1.25")
        #expect(again.entries.first { $0.part == "boot_lid" }?.amount == "420.07")
        #expect(CostMatrix.decimal(5) == "0.05" && CostMatrix.decimal(100_000_000) == "1000000.00")
    }

    @Test func anEstimateNamesTheMatrixVersionThatPricedIt() throws {
        var matrix = try CostMatrix.load(Data(CostMatrixTests.valid.utf8))
        #expect(matrix.estimate([]).matrixVersion == nil, "the file's matrix has no version")
        matrix.version = 7
        #expect(matrix.estimate([]).matrixVersion == 7)
    }
}
