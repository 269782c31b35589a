import Foundation
import WalkaroundCore

/// Everything a report says in one language: the names of classes, places, statuses, severities
/// and parts; the template's sentences; the page's labels; and the words the grounding check
/// reads in prose of that language (class words, panel words, directions, statuses, negations,
/// number words). The template, the LLM's facts, the page and the check all take their words
/// from here, so the four speak of the same things in every language.
struct ReportLexicon: Sendable {
    let language: ReportLanguage
    /// A class's name, singular and plural.
    let damages: [String: (one: String, many: String)]
    let places: [Photo.View: String]
    /// The status names; `recorded` is a check-out's damage (no status).
    let statuses: [DamageStatus: String]
    let recorded: String
    let severities: [Severity: String]
    /// Each part with its position, "(left)"/"(right)" last.
    let parts: [CarPart: String]
    let phrases: Phrases
    let labels: Labels

    // The grounding check's reading of this language.
    let classWords: [String: String]
    /// Panel words the data may not support, with the class that makes one of them plausible.
    let panelWords: [String: String?]
    let directionWords: [String: String]
    let statusWords: [String: DamageStatus]
    let negations: Set<String>
    /// Counted words (articles that also mean "one" are left out: "ein", "un", "een"…).
    let numberWords: [String: Int]
    /// Adjectives may follow the noun ("rayure nouvelle"): a status is looked for after a class word too.
    let statusAfterNoun: Bool

    /// The template's sentences; `{name}` is filled in.
    struct Phrases: Sendable {
        var checkout: String
        var `return`: String
        var inspection: String
        var plateMismatch: String
        var plateUnread: String
        var plateUncertain: String
        var photosPassed: String
        var photosPassedSome: String
        var photo: (one: String, many: String)
        var damage: (one: String, many: String)
        var newDamage: (one: String, many: String)
        var noDamageRecorded: String
        var damagesRecorded: String
        var compared: String
        var noCheckout: String
        var noNew: String
        var newFound: String
        /// Per status: "{count} pre-existing." and the like.
        var statusLines: [DamageStatus: String]
        var note: String
        var matched: String
    }

    /// The HTML page's words.
    struct Labels: Sendable {
        var title: String
        var heading: String
        var stationLine: String
        var reference: String
        var plateCheck: String
        var comparedLine: String
        var attention: String
        var summary: String
        var estimate: String
        var without: String
        var damagesHeading: String
        var noDamage: String
        var columns: [String]
        var alsoDetected: String
        var evidence: String
        var onThe: String
        var returnSide: String
        var checkoutSide: String
        var noPhoto: String
        var provenance: String
        var cameraSilent: String
        var review: String
        var state: String
        var finalSince: String
        var reviewColumns: [String]
        var toDecide: String
        var drawn: String
        var yes: String
        var onceFinal: String
        var no: String
        var charged: String
        var chargedWithoutMatrix: String
        var nothingCharged: String
        var photos: String
        var photoColumns: [String]
        var writtenBy: String
        var severityRules: String
    }

    static func of(_ language: ReportLanguage) -> ReportLexicon {
        switch language {
        case .en: english
        case .de: german
        case .fr: french
        case .es: spanish
        case .it: italian
        case .nl: dutch
        }
    }

    /// "{n} {noun}" with the noun's number (French counts 0 and 1 as singular).
    func count(_ n: Int, _ noun: (one: String, many: String)) -> String {
        "\(n) \(n == 1 || (language == .fr && n == 0) ? noun.one : noun.many)"
    }

    static func fill(_ template: String, _ values: [String: String]) -> String {
        var text = template
        for (key, value) in values { text = text.replacingOccurrences(of: "{\(key)}", with: value) }
        return text
    }

    /// The part names: `single` for parts without a position, the other nouns with front/rear
    /// (doors, wings, side windows, wheels) and left/right in brackets.
    static func partNames(
        single: [CarPart: String], door: String, wing: String, sideWindow: String, wheel: String, mirror: String, headlamp: String,
        tailLamp: String, front: String, rear: String, left: String, right: String
    ) -> [CarPart: String] {
        var names = single
        func both(_ noun: String, _ position: String?, _ leftPart: CarPart, _ rightPart: CarPart) {
            let base = position.map { "\(noun) \($0)" } ?? noun
            names[leftPart] = "\(base) (\(left))"
            names[rightPart] = "\(base) (\(right))"
        }
        both(door, front, .frontDoorLeft, .frontDoorRight)
        both(door, rear, .rearDoorLeft, .rearDoorRight)
        both(wing, front, .frontWingLeft, .frontWingRight)
        both(wing, rear, .rearWingLeft, .rearWingRight)
        both(sideWindow, front, .sideWindowFrontLeft, .sideWindowFrontRight)
        both(sideWindow, rear, .sideWindowRearLeft, .sideWindowRearRight)
        both(wheel, front, .wheelFrontLeft, .wheelFrontRight)
        both(wheel, rear, .wheelRearLeft, .wheelRearRight)
        both(mirror, nil, .mirrorLeft, .mirrorRight)
        both(headlamp, nil, .headlampLeft, .headlampRight)
        both(tailLamp, nil, .tailLampLeft, .tailLampRight)
        return names
    }

    static func words(_ lists: [String: [String]]) -> [String: String] {
        var table: [String: String] = [:]
        for (name, words) in lists {
            for word in words { table[word] = name }
        }
        return table
    }
}

/// The report's domain words for other ways of showing a report (the web app): class, part,
/// severity, status and view names in one language, keyed `class_<name>`, `part_<name>`,
/// `severity_<name>`, `damage_<status>`, `view_<view>`.
public enum ReportVocabulary {
    public static func words(_ language: ReportLanguage) -> [String: String] {
        let lexicon = ReportLexicon.of(language)
        var words: [String: String] = [:]
        for (name, forms) in lexicon.damages { words["class_" + name] = forms.one }
        for (part, text) in lexicon.parts { words["part_" + part.rawValue] = text }
        for (severity, text) in lexicon.severities { words["severity_" + severity.rawValue] = text }
        for (status, text) in lexicon.statuses { words["damage_" + status.rawValue] = text }
        for (view, text) in lexicon.places { words["view_" + view.rawValue] = text }
        return words
    }
}
