import Foundation
import Reporting
import TestFixtures
import Testing
import WalkaroundCore

@Suite struct GroundingCheckerTests {
    let checker = GroundingChecker()
    let report = sampleReport()

    func prose(_ summary: String, _ notes: [(String, String)]) -> ReportProse {
        ReportProse(summary: summary, damageNotes: notes.map { .init(id: $0.0, text: $0.1) }, provider: "test")
    }

    var faithfulNotes: [(String, String)] {
        [("D1", "A new scratch on the left side."), ("D2", "The dent at the rear was already there at check-out."), ("C1", "The crack at the front was not seen again.")]
    }

    @Test func theSampleIsWhatTheTestsAssume() {
        #expect(report.damages.map { "\($0.id) \($0.className) \($0.status!.rawValue)" } == ["D1 scratch new", "D2 dent pre_existing"])
        #expect(report.notSeen.map { "\($0.id) \($0.className)" } == ["C1 crack"])
    }

    @Test func aFaithfulAnswerPasses() {
        let answer = prose("Return of M AB 1234 at MUC-01: one new scratch on the left side; 1 pre-existing dent. 3 of 4 photos were usable.", faithfulNotes)
        #expect(checker.problems(in: answer, for: report) == [])
    }

    /// Parts the report names may be used (the scratch is on the left front door, the dent on
    /// the boot lid, the crack not seen again on the front bumper); any other part may not.
    @Test func onlyThePartsTheReportNamesMayBeUsed() {
        #expect(report.damages.map { $0.part } == [.frontDoorLeft, .bootLid])
        #expect(report.notSeen.map { $0.part } == [.frontBumper])
        let named = prose("One new scratch on the front door; 1 pre-existing dent on the boot lid.", faithfulNotes)
        #expect(checker.problems(in: named, for: report) == [])
        let other = prose("One new scratch near the roof.", faithfulNotes)
        #expect(checker.problems(in: other, for: report).contains { $0.contains("roof") })
    }

    @Test func anExtraDamageFails() {
        let extraNote = prose("One new scratch.", faithfulNotes + [("D3", "A new dent on the roof.")])
        #expect(checker.problems(in: extraNote, for: report).contains { $0.contains("D3") })
        let extraKind = prose("One new scratch and shattered glass on the left side.", faithfulNotes)
        #expect(checker.problems(in: extraKind, for: report).contains { $0.contains("shattered glass") })
        let newDent = prose("A new dent at the rear.", faithfulNotes)
        #expect(checker.problems(in: newDent, for: report).contains { $0.contains("new dent") })
        let panel = prose("One new scratch on the left mirror.", faithfulNotes)
        #expect(checker.problems(in: panel, for: report).contains { $0.contains("mirror") })
    }

    @Test func aWrongCountFails() {
        let answer = prose("The car came back with two new scratches.", faithfulNotes)
        #expect(checker.problems(in: answer, for: report).contains { $0.contains("two") })
        let total = prose("3 new damages were found.", faithfulNotes)
        #expect(checker.problems(in: total, for: report).contains { $0.contains("3") })
    }

    @Test func aMissingNewDamageFails() {
        let answer = prose("One new scratch.", Array(faithfulNotes.dropFirst()))
        #expect(checker.problems(in: answer, for: report) == ["omits new damage D1"])
    }

    @Test func aDifferentPlateFails() {
        let answer = prose("Return of M XY 9876: one new scratch.", faithfulNotes)
        #expect(checker.problems(in: answer, for: report).contains { $0.contains("M XY 9876") })
        let declared = prose("Return of MAB1234: one new scratch.", faithfulNotes)
        #expect(checker.problems(in: declared, for: report) == [])
    }

    @Test func aMislabelledNoteFails() {
        let answer = prose("One new scratch.", [("D1", "A new dent on the left side.")] + Array(faithfulNotes.dropFirst()))
        #expect(checker.problems(in: answer, for: report).contains { $0.contains("calls D1 dent") })
    }

    @Test func negationsAreNotClaims() {
        let answer = prose("One new scratch, no broken lamp and no shattered glass.", faithfulNotes)
        #expect(checker.problems(in: answer, for: report) == [])
    }
}

@Suite struct ReportTemplateTests {
    @Test func theTemplateIsGroundedAndNamesEveryDamage() {
        let report = sampleReport()
        let prose = ReportTemplate().prose(for: report)
        #expect(prose.provider == "template")
        #expect(GroundingChecker().problems(in: prose, for: report) == [])
        #expect(prose.damageNotes.map(\.id) == ["D1", "D2", "C1"])
        #expect(prose.summary.contains("1 new damage found"))
        #expect(prose.summary.contains("M AB 1234"))
    }

    /// Random reports of every shape: the template must pass the checker on all of them, or the
    /// chain's last resort would itself be ungrounded.
    @Test func theTemplatePassesOnGeneratedReports() {
        var generator = SystemRandomNumberGenerator()
        let classes = ["scratch", "dent", "crack", "glass_shatter", "lamp_broken", "tire_flat"]
        let views = Photo.View.allCases.filter { $0 != .odometer && $0 != .interior }
        for round in 0..<200 {
            func random(_ count: Int) -> [DamageSighting] {
                (0..<count).map { _ in
                    sighting(
                        classes.randomElement(using: &generator)!, views.randomElement(using: &generator)!,
                        x: .random(in: 0.1...0.9, using: &generator), y: .random(in: 0.1...0.9, using: &generator),
                        confidence: .random(in: 0.2...0.99, using: &generator), evidence: Int.random(in: 0..<5, using: &generator) > 0
                    )
                }
            }
            let before = random(Int.random(in: 0...5, using: &generator))
            let comparison = DamageComparator().compare(
                returned: random(Int.random(in: 0...6, using: &generator)),
                checkout: round % 5 == 0 ? nil : checkout(before, views: Set(views.filter { _ in Bool.random(using: &generator) }))
            )
            var report = sampleReport()
            report.damages = comparison.damages
            report.notSeen = comparison.notSeen
            let prose = ReportTemplate().prose(for: report)
            let problems = GroundingChecker().problems(in: prose, for: report)
            #expect(problems.isEmpty, "\(problems) in \(prose.summary) \(prose.damageNotes.map(\.text))")
            if !problems.isEmpty { return }
        }
    }
}
