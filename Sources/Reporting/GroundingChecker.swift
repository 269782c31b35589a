import Foundation
import WalkaroundCore

/// Checks that prose says nothing the report's data does not: no damage, count, part or plate
/// that is not there, and no `new` damage left out. An LLM answer with any problem is discarded.
///
/// The check reads words, not meaning, and errs towards rejecting: a sentence it cannot place
/// (a door, a bumper the report's parts do not name) fails, and the template is used instead.
/// Each language is read with its own words (`ReportLexicon`): class, panel, direction, status,
/// negation and number words; plates and digits are checked the same way in every language.
public struct GroundingChecker: Sendable {
    public let language: ReportLanguage
    let lexicon: ReportLexicon

    public init(language: ReportLanguage = .en) {
        self.language = language
        lexicon = ReportLexicon.of(language)
    }

    /// The problems found; empty when the prose is grounded in `report`.
    public func problems(in prose: ReportProse, for report: InspectionReport) -> [String] {
        let facts = Facts(report, lexicon: lexicon)
        var problems: [String] = []
        let noted = Set(prose.damageNotes.map(\.id))
        for damage in report.damages(.new) where !noted.contains(damage.id) {
            problems.append("omits new damage \(damage.id)")
        }
        for note in prose.damageNotes {
            guard let damage = facts.damages[note.id] else {
                problems.append("mentions damage \(note.id), which the report does not contain")
                continue
            }
            for named in classesNamed(in: Self.words(note.text)) where named != damage.className {
                problems.append("calls \(note.id) \(ReportWording.damageName(named)), but it is \(ReportWording.damageName(damage.className))")
            }
        }
        for text in [prose.summary] + prose.damageNotes.map(\.text) {
            problems += check(text, facts: facts)
        }
        return problems
    }

    private func check(_ text: String, facts: Facts) -> [String] {
        var problems: [String] = []
        var stripped = text
        for run in Self.plateLikeRuns(in: text) {
            let plate = VehicleRef.normalisedPlate(run)
            if !facts.knownCodes.contains(where: { $0.contains(plate) || plate.contains($0) }) {
                problems.append("mentions plate \(run), which the report does not contain")
            }
            stripped = stripped.replacingOccurrences(of: run, with: " ")
        }
        let words = Self.words(stripped)
        for named in classesNamed(in: words) where !facts.classes.contains(named) {
            problems.append("mentions \(ReportWording.damageName(named)), which the report does not contain")
        }
        for word in words {
            if let part = lexicon.panelWords[word], !facts.classes.contains(part ?? ""),
                !facts.partWords.contains(word), !(language == .en && facts.partWords.contains(Self.singular(word)))
            {
                problems.append("mentions the \(word), a part the report does not name")
            }
            if let direction = lexicon.directionWords[word], !facts.directions.contains(direction) {
                problems.append("mentions the \(direction), where the report has no damage or photo")
            }
        }
        for sentence in Self.sentences(stripped) {
            let words = Self.words(sentence)
            problems += checkStatuses(words, facts: facts) + checkCounts(words, facts: facts)
        }
        return problems
    }

    /// "A new dent" needs a new dent in the data, even without a count.
    private func checkStatuses(_ words: [String], facts: Facts) -> [String] {
        var problems: [String] = []
        for (index, word) in words.enumerated() {
            guard let named = lexicon.classWords[word] else { continue }
            let before = words[max(0, index - 3)..<index]
            let after = lexicon.statusAfterNoun ? words[(index + 1)..<min(words.count, index + 3)] : []
            guard let status = before.lazy.compactMap({ self.lexicon.statusWords[$0] }).first ?? after.lazy.compactMap({ self.lexicon.statusWords[$0] }).first,
                !before.contains(where: lexicon.negations.contains),
                facts.classes.contains(named), facts.count(of: named, status) == 0
            else { continue }
            problems.append("mentions a \(ReportWording.status(status)) \(ReportWording.damageName(named)), which the report does not contain")
        }
        return problems
    }

    /// Numbers must be counts the report has: of a class and status when they name them ("two new scratches").
    private func checkCounts(_ words: [String], facts: Facts) -> [String] {
        var problems: [String] = []
        for (index, word) in words.enumerated() {
            guard let number = number(word) else { continue }
            let after = words[(index + 1)..<min(words.count, index + 4)]
            let named = classesNamed(in: Array(after)).first
            let status = after.lazy.compactMap { self.lexicon.statusWords[$0] }.first
            let allowed: Set<Int>
            switch (named, status) {
            case (let named?, let status?): allowed = [facts.count(of: named, status)]
            case (let named?, nil): allowed = facts.classCounts[named, default: [0]]
            case (nil, let status?): allowed = [facts.statusCounts[status, default: 0]]
            case (nil, nil): allowed = facts.numbers
            }
            if !allowed.contains(number) {
                problems.append("says \(word)\(named.map { " " + ReportWording.damageName($0) } ?? ""), a count the report does not support")
            }
        }
        return problems
    }

    /// What the report allows prose to say.
    struct Facts {
        var damages: [String: Damage] = [:]
        var classes: Set<String> = []
        var directions: Set<String> = []
        /// Words of the parts the report names ("front", "door", "left", …): prose may use them.
        var partWords: Set<String> = []
        var knownCodes: Set<String> = []
        var numbers: Set<Int> = []
        var classCounts: [String: Set<Int>] = [:]
        var statusCounts: [DamageStatus: Int] = [:]
        private var byClassAndStatus: [String: [DamageStatus: Int]] = [:]

        init(_ report: InspectionReport, lexicon: ReportLexicon) {
            let all = report.allDamages
            damages = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            classes = Set(all.map(\.className))
            let views = all.map(\.view) + report.photos.map(\.view)
            let named = all.compactMap(\.part).filter { $0 != .unknown }
            partWords = Set(named.flatMap { $0.rawValue.split(separator: "_").map(String.init) })
                .union(named.flatMap { GroundingChecker.words(ReportWording.partName($0, lexicon.language)) })
            let placeWords = Set(views.flatMap { GroundingChecker.words(ReportWording.place($0, lexicon.language)) })
            directions = Set(placeWords.union(partWords).compactMap { lexicon.directionWords[$0] })
            knownCodes = Set([report.vehicle.plate, report.plate.plate, report.inspection.station, report.inspection.reference, report.comparedWith?.station]
                .compactMap { $0.map(VehicleRef.normalisedPlate) }.filter { !$0.isEmpty })
            for damage in all {
                let status = damage.status ?? .unverified
                byClassAndStatus[damage.className, default: [:]][status, default: 0] += 1
                statusCounts[status, default: 0] += 1
            }
            for (name, counts) in byClassAndStatus {
                classCounts[name] = Set(counts.values).union([counts.values.reduce(0, +)])
            }
            let used = report.photos.filter(\.used).count
            numbers = Set(statusCounts.values).union(classCounts.values.flatMap { $0 })
                .union([all.count, report.damages.count, report.notSeen.count, report.photos.count, used, report.photos.count - used])
                .union(all.map { $0.sightings.count })
            var texts = [report.inspection.station, report.inspection.reference ?? "", report.vehicle.plate ?? "", report.plate.plate ?? ""]
            texts += [report.inspection.createdAt, report.comparedWith?.createdAt].compactMap { $0.map(ReportWording.day) }
            texts += [report.comparedWith?.station ?? "", report.comparisonNote ?? ""] + all.compactMap(\.reason) + report.edgeCases
            texts += report.photos.compactMap(\.reason)
            numbers.formUnion(texts.flatMap { GroundingChecker.words($0).compactMap { Int($0) ?? lexicon.numberWords[$0] } })
        }

        func count(of className: String, _ status: DamageStatus) -> Int {
            byClassAndStatus[className]?[status] ?? 0
        }
    }

    // MARK: Reading words

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }

    /// The text cut at sentence and clause ends (a full stop, colon or semicolon before a space).
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = [], current = ""
        var previous: Character = " "
        for c in text + " " {
            if c.isWhitespace, ".;:!?".contains(previous) {
                sentences.append(current)
                current = ""
            } else {
                current.append(c)
            }
            previous = c
        }
        return sentences + [current]
    }

    static func isDamageID(_ token: String) -> Bool {
        guard let first = token.first, "dc".contains(first) else { return false }
        return token.count > 1 && token.dropFirst().allSatisfy(\.isNumber)
    }

    /// Uppercase letter-and-digit runs that could be a plate ("M AB 1234", "AB-123-CD").
    static func plateLikeRuns(in text: String) -> [String] {
        var runs: [String] = []
        var current: [Substring] = []
        func flush() {
            let run = current.joined(separator: " ")
            let letters = run.filter(\.isLetter).count, digits = run.filter(\.isNumber).count
            if letters > 0, digits > 0, (4...14).contains(letters + digits) { runs.append(run) }
            current = []
        }
        // A run never starts with a damage id ("D1"), so no run is an id.
        for token in text.split(whereSeparator: \.isWhitespace) {
            let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?()\"'"))[...]
            let plateLike = !trimmed.isEmpty && trimmed.allSatisfy { ($0.isUppercase && $0.isASCII) || $0.isNumber || $0 == "-" }
                && trimmed.contains(where: { $0.isLetter || $0.isNumber })
            if plateLike && !(current.isEmpty && isDamageID(trimmed.lowercased())) { current.append(trimmed) } else if !current.isEmpty { flush() }
        }
        if !current.isEmpty { flush() }
        return runs
    }

    /// The damage classes named in `words`, except after a negation ("no dents").
    func classesNamed(in words: [String]) -> [String] {
        var found: [String] = []
        for (index, word) in words.enumerated() {
            guard let named = lexicon.classWords[word] else { continue }
            let before = words[max(0, index - 3)..<index]
            if before.contains(where: lexicon.negations.contains) { continue }
            if !found.contains(named) { found.append(named) }
        }
        return found
    }

    /// A part word as the vocabulary writes it ("doors" → "door", "wings" → "wing").
    static func singular(_ word: String) -> String {
        word.hasSuffix("s") && word.count > 3 ? String(word.dropLast()) : word
    }

    func number(_ word: String) -> Int? {
        if let value = Int(word) { return value }
        return lexicon.numberWords[word]
    }
}
