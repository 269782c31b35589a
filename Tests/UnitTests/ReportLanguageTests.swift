import Foundation
import TestFixtures
import Testing
import WalkaroundCore

@testable import Reporting

/// Reports in English, German, French, Spanish, Italian and Dutch: the template and the page in
/// each, and the grounding check reading each.
@Suite("Report languages")
struct ReportLanguageTests {
    /// A check-out with every class on every view, to exercise every word.
    static func everyClassReport() -> InspectionReport {
        let classes = ["scratch", "dent", "crack", "glass_shatter", "lamp_broken", "tire_flat"]
        let sightings = Photo.View.allCases.prefix(8).enumerated().map { index, view in
            sighting(classes[index % classes.count], view, x: 0.3, y: 0.5)
        }
        let damages = DamageComparator().damages(of: sightings, prefix: "D")
        let inspection = Inspection(kind: .checkout, station: "PAR-02", vehicle: VehicleRef(plate: "AB123CD"), createdAt: Date(timeIntervalSince1970: 1_795_000_000))
        return InspectionReport(
            inspection: InspectionSummary(inspection), vehicle: inspection.vehicle, vehicleID: nil, plate: inspection.plateVerdict, comparedWith: nil,
            comparisonNote: nil, photos: Photo.View.allCases.prefix(8).map { PhotoUse(id: UUID(), view: $0, status: .processed, used: true, reason: nil) },
            damages: damages, notSeen: [], edgeCases: [], generatedAt: Date()
        )
    }

    @Test(arguments: ReportLanguage.allCases)
    func everyLanguageNamesEveryThing(_ language: ReportLanguage) {
        let lexicon = ReportLexicon.of(language)
        for className in CostMatrix.classes { #expect(lexicon.damages[className] != nil, "\(language) \(className)") }
        for view in Photo.View.allCases { #expect(lexicon.places[view] != nil, "\(language) \(view)") }
        for status in DamageStatus.allCases { #expect(lexicon.statuses[status] != nil, "\(language) \(status)") }
        for severity in Severity.allCases { #expect(lexicon.severities[severity] != nil, "\(language) \(severity)") }
        for part in CarPart.allCases { #expect(lexicon.parts[part] != nil, "\(language) \(part)") }
        #expect(lexicon.labels.columns.count == 7 && lexicon.labels.reviewColumns.count == 7 && lexicon.labels.photoColumns.count == 3)
        #expect(Set(lexicon.parts.values).count == CarPart.allCases.count, "\(language): two parts share a name")
        // Every damage name is read back as its class by the grounding check.
        for className in CostMatrix.classes {
            let words = GroundingChecker.words(lexicon.damages[className]!.one)
            #expect(words.contains { lexicon.classWords[$0] == className }, "\(language): \(lexicon.damages[className]!.one) is not read as \(className)")
        }
    }

    @Test(arguments: ReportLanguage.allCases)
    func theTemplateIsGroundedInEveryLanguage(_ language: ReportLanguage) {
        for report in [sampleReport(), sampleReport(edgeCases: ["3 damages need review"]), Self.everyClassReport()] {
            let prose = ReportTemplate(language: language).prose(for: report)
            #expect(prose.language == language)
            #expect(GroundingChecker(language: language).problems(in: prose, for: report).isEmpty, "\(language): \(prose.summary) \(prose.damageNotes.map(\.text))")
            #expect(prose.summary.contains("M AB 1234") || prose.summary.contains("AB123CD"))
        }
    }

    @Test func theTemplateSpeaksTheLanguage() {
        let report = sampleReport()
        let texts = Dictionary(uniqueKeysWithValues: ReportLanguage.allCases.map { ($0, ReportTemplate(language: $0).prose(for: report)) })
        #expect(texts[.en]!.summary.hasPrefix("Return inspection of M AB 1234 at station MUC-01"))
        #expect(texts[.de]!.summary.contains("Gefunden: 1 neuer Schaden."), "\(texts[.de]!.summary)")
        #expect(texts[.fr]!.summary.contains("Trouvé : 1 nouveau dommage."), "\(texts[.fr]!.summary)")
        #expect(texts[.es]!.summary.contains("Encontrado: 1 daño nuevo."), "\(texts[.es]!.summary)")
        #expect(texts[.it]!.summary.contains("Trovato: 1 danno nuovo."), "\(texts[.it]!.summary)")
        #expect(texts[.nl]!.summary.contains("Gevonden: 1 nieuwe schade."), "\(texts[.nl]!.summary)")
        let scratch = report.damages(.new)[0].id
        #expect(texts[.de]!.damageNotes.first { $0.id == scratch }?.text == "\(scratch): neu, \(ReportWording.severity(report.damages(.new)[0].severity, .de)): Kratzer – linke Seite.")
        #expect(Set(texts.values.map(\.summary)).count == 6, "six different texts")
    }

    /// What an LLM could get wrong in each language is caught in that language.
    @Test(arguments: [
        (ReportLanguage.de, "Zwei neue Dellen an der linken Seite."), (.de, "Ein neuer Kratzer an der Motorhaube."), (.de, "Neuer Kratzer, Kennzeichen B XY 987."),
        (.fr, "Deux nouvelles rayures sur le côté gauche."), (.fr, "Une rayure nouvelle sur le capot."), (.fr, "Une bosse nouvelle à l'arrière."),
        (.es, "Tres arañazos nuevos en el lado izquierdo."), (.es, "Un arañazo nuevo en el capó."), (.es, "Una abolladura nueva detrás."),
        (.it, "Due graffi nuovi sul lato sinistro."), (.it, "Un graffio nuovo sul cofano."), (.it, "Un pneumatico a terra."),
        (.nl, "Twee nieuwe krassen aan de linkerkant."), (.nl, "Een nieuwe kras op de motorkap."), (.nl, "Een nieuwe deuk aan de achterkant."),
    ])
    func inventedFactsAreCaughtInEachLanguage(_ language: ReportLanguage, _ summary: String) {
        let report = sampleReport()
        var prose = ReportTemplate(language: language).prose(for: report)
        prose.summary = summary
        #expect(!GroundingChecker(language: language).problems(in: prose, for: report).isEmpty, "\(language): \(summary)")
    }

    @Test func groundedProseInAnotherLanguagePasses() {
        let report = sampleReport()
        var prose = ReportTemplate(language: .de).prose(for: report)
        prose.summary = "Rücknahme von M AB 1234: ein neuer Kratzer an der linken Seite, eine Delle am Heck war bereits vorhanden."
        #expect(GroundingChecker(language: .de).problems(in: prose, for: report).isEmpty, "\(GroundingChecker(language: .de).problems(in: prose, for: report))")
        prose.summary = "Retour de M AB 1234 : une nouvelle rayure sur le côté gauche ; la bosse à l'arrière était déjà présente."
        #expect(GroundingChecker(language: .fr).problems(in: prose, for: report).isEmpty, "\(GroundingChecker(language: .fr).problems(in: prose, for: report))")
    }

    @Test(arguments: [
        ("de-AT,de;q=0.9,en;q=0.8", ReportLanguage.de), ("fr;q=0, it", .it), ("xx-YY, nl;q=0.5", .nl), ("en-GB;q=0.3, es;q=0.7", .es),
        ("ES", .es), ("fr;q=abc, de;q=0.1", .de),
    ])
    func acceptLanguagePicksTheMostPreferredSupportedOne(_ header: String, _ expected: ReportLanguage) {
        #expect(ReportLanguage.preferred(acceptLanguage: header) == expected)
    }

    @Test func acceptLanguageWithoutASupportedOneIsNil() {
        #expect(ReportLanguage.preferred(acceptLanguage: "*") == nil)
        #expect(ReportLanguage.preferred(acceptLanguage: "pl, cs;q=0.5") == nil)
        #expect(ReportLanguage.preferred(acceptLanguage: "de;q=0") == nil)
        #expect(ReportLanguage.preferred(acceptLanguage: String(repeating: "x,", count: 10_000)) == nil)
        #expect(ReportLanguage.preferred(acceptLanguage: "") == nil)
    }

    @Test func stationLanguagesParseAndNameTheirProblems() {
        let (stations, problems) = ReportLanguages.parseStations("MUC-01=de, PAR-02 = FR,BAD,ROM-03=la")
        #expect(stations == ["MUC-01": .de, "PAR-02": .fr])
        #expect(problems.count == 2 && problems.allSatisfy { $0.contains("WALKAROUND_STATION_LANGUAGES") })
        #expect(ReportLanguages(fallback: .nl, stations: stations).language(for: "AMS-01") == .nl)
    }

    @Test(arguments: ReportLanguage.allCases)
    func thePageIsInTheLanguage(_ language: ReportLanguage) {
        let report = sampleReport()
        let html = ReportPage(language: language).html(report: report, prose: ReportTemplate(language: language).prose(for: report), images: [:])
        #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
        let labels = ReportLexicon.of(language).labels
        #expect(html.contains("<h2>\(labels.summary)</h2>") && html.contains("<h2>\(labels.review)</h2>"))
        if language != .en { #expect(!html.contains("<h2>Summary</h2>") && !html.contains("Nothing is charged")) }
    }
}
