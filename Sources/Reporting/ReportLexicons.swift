import Foundation
import WalkaroundCore

// The six languages' words. English is the original wording; the others say the same facts in
// the same order, with the same placeholders.

extension ReportLexicon {
    static let english = ReportLexicon(
        language: .en,
        damages: [
            "scratch": ("scratch", "scratches"), "dent": ("dent", "dents"), "crack": ("crack", "cracks"),
            "glass_shatter": ("shattered glass", "shattered glass"), "lamp_broken": ("broken lamp", "broken lamps"), "tire_flat": ("flat tyre", "flat tyres"),
        ],
        places: [
            .front: "front", .frontLeft: "front-left corner", .left: "left side", .rearLeft: "rear-left corner", .rear: "rear",
            .rearRight: "rear-right corner", .right: "right side", .frontRight: "front-right corner", .interior: "interior", .odometer: "odometer",
            .other: "other view",
        ],
        statuses: [.new: "new", .preExisting: "pre-existing", .notSeen: "not seen again", .needsReview: "needs review", .unverified: "unverified"],
        recorded: "recorded",
        severities: [.minor: "minor", .moderate: "moderate", .severe: "severe"],
        // "front door (left)", "rear bumper": the vocabulary's own words.
        parts: Dictionary(uniqueKeysWithValues: CarPart.allCases.map { part in
            let words = part.rawValue.split(separator: "_").map(String.init)
            guard let last = words.last, last == "left" || last == "right", words.count > 1 else { return (part, words.joined(separator: " ")) }
            return (part, words.dropLast().joined(separator: " ") + " (\(last))")
        }),
        phrases: Phrases(
            checkout: "Check-out", return: "Return", inspection: "{kind} inspection of {plate} at station {station} on {day}.",
            plateMismatch: "The photos show plate {plate}, not the declared plate: check the vehicle.",
            plateUnread: "The plate could not be read on the photos.", plateUncertain: "The plate on the photos could not be read with certainty.",
            photosPassed: "{used} passed the quality check.", photosPassedSome: "{used} passed the quality check and {rejected} did not.",
            photo: ("photo", "photos"), damage: ("damage", "damages"), newDamage: ("new damage", "new damages"),
            noDamageRecorded: "No damage was recorded.", damagesRecorded: "{count} recorded at check-out.",
            compared: "Compared with the check-out at station {station} on {day}.",
            noCheckout: "No earlier check-out was found, so no damage can be called new.", noNew: "No new damage was found.", newFound: "{count} found.",
            statusLines: [.preExisting: "{count} pre-existing.", .needsReview: "{count} to review.", .unverified: "{count} unverified.", .notSeen: "{count} not seen again."],
            note: "{id}: {status} {severity} {damage} at the {place}", matched: ", matched with {other}"
        ),
        labels: Labels(
            title: "{kind} report {plate}", heading: "{kind} inspection — {plate}", stationLine: "Station {station}, {day}", reference: ", reference {reference}",
            plateCheck: "Plate check: {check}.", comparedLine: "Compared with the check-out at station {station} on {day}.", attention: "Attention:",
            summary: "Summary", estimate: "Estimated repair of the new damages: {amount}", without: "without {missing}", damagesHeading: "Damages",
            noDamage: "No damage found.", columns: ["Id", "Status", "Damage", "Where", "Part", "Severity", "Note"], alsoDetected: "also detected as {others}",
            evidence: "Evidence", onThe: " on the {part}", returnSide: "Return", checkoutSide: "Check-out",
            noPhoto: "The photo cannot be shown (erased or unreadable).",
            provenance: "Station {station}, {place} photo; taken {taken}; uploaded {uploaded}", cameraSilent: "(the camera did not record it)",
            review: "Review", state: "State: <strong>{state}</strong>", finalSince: ", final since {day}",
            reviewColumns: ["Id", "Decision", "Damage", "Part", "Severity", "Why", "Charged"], toDecide: "to decide", drawn: " (drawn by a reviewer)",
            yes: "yes", onceFinal: "once final", no: "no", charged: "Charged: {amount}.",
            chargedWithoutMatrix: "the confirmed new damages above (no cost matrix)",
            nothingCharged: "Nothing is charged until a reviewer makes the report final.", photos: "Photos", photoColumns: ["View", "Used", "Reason"],
            writtenBy: "Written by {provider}.",
            severityRules: "Severity rules: scratches and dents by their share of the photo, cracks and broken lamps moderate unless large, shattered glass and flat tyres severe; one step lower under 50 % confidence."
        ),
        classWords: words([
            "scratch": ["scratch", "scratches", "scratched", "scrape", "scrapes", "scraped", "scuff", "scuffs", "scuffed"],
            "dent": ["dent", "dents", "dented"],
            "crack": ["crack", "cracks", "cracked"],
            "glass_shatter": ["shatter", "shattered", "smashed", "glass", "windscreen", "windshield", "window", "windows"],
            "lamp_broken": ["lamp", "lamps", "headlight", "headlights", "headlamp", "headlamps", "taillight", "taillights"],
            "tire_flat": ["tyre", "tyres", "tire", "tires", "puncture", "punctured"],
        ]),
        panelWords: [
            "door": nil, "doors": nil, "bumper": nil, "bumpers": nil, "bonnet": nil, "hood": nil, "boot": nil, "trunk": nil,
            "roof": nil, "fender": nil, "fenders": nil, "wing": nil, "wings": nil, "mirror": nil, "mirrors": nil, "sill": nil,
            "pillar": nil, "grille": nil, "wheel": "tire_flat", "wheels": "tire_flat", "rim": "tire_flat", "rims": "tire_flat",
        ],
        directionWords: ["front": "front", "rear": "rear", "back": "rear", "left": "left", "right": "right"],
        statusWords: [
            "new": .new, "existing": .preExisting, "previous": .preExisting, "earlier": .preExisting, "already": .preExisting,
            "review": .needsReview, "unverified": .unverified, "unseen": .notSeen, "missing": .notSeen,
        ],
        negations: ["no", "not", "without", "nor", "none", "neither"],
        numberWords: [
            "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
            "eleven": 11, "twelve": 12, "single": 1, "both": 2, "twice": 2,
        ],
        statusAfterNoun: false
    )

    static let german = ReportLexicon(
        language: .de,
        damages: [
            "scratch": ("Kratzer", "Kratzer"), "dent": ("Delle", "Dellen"), "crack": ("Riss", "Risse"), "glass_shatter": ("Glasbruch", "Glasbrüche"),
            "lamp_broken": ("defekte Leuchte", "defekte Leuchten"), "tire_flat": ("platter Reifen", "platte Reifen"),
        ],
        places: [
            .front: "Front", .frontLeft: "vorne links", .left: "linke Seite", .rearLeft: "hinten links", .rear: "Heck", .rearRight: "hinten rechts",
            .right: "rechte Seite", .frontRight: "vorne rechts", .interior: "Innenraum", .odometer: "Kilometerzähler", .other: "andere Ansicht",
        ],
        statuses: [.new: "neu", .preExisting: "bereits vorhanden", .notSeen: "nicht wieder gesehen", .needsReview: "zu prüfen", .unverified: "nicht bestätigt"],
        recorded: "erfasst",
        severities: [.minor: "gering", .moderate: "mittel", .severe: "schwer"],
        parts: partNames(
            single: [
                .frontBumper: "Stoßstange vorne", .rearBumper: "Stoßstange hinten", .bonnet: "Motorhaube", .bootLid: "Heckklappe", .roof: "Dach",
                .windscreen: "Windschutzscheibe", .rearWindow: "Heckscheibe", .interior: "Innenraum", .unknown: "unbekannt",
            ],
            door: "Tür", wing: "Kotflügel", sideWindow: "Seitenscheibe", wheel: "Rad", mirror: "Spiegel", headlamp: "Scheinwerfer",
            tailLamp: "Rückleuchte", front: "vorne", rear: "hinten", left: "links", right: "rechts"
        ),
        phrases: Phrases(
            checkout: "Übergabe", return: "Rücknahme", inspection: "Inspektion bei {kind} von {plate} an Station {station} am {day}.",
            plateMismatch: "Die Fotos zeigen das Kennzeichen {plate}, nicht das angegebene: Fahrzeug kontrollieren.",
            plateUnread: "Das Kennzeichen konnte auf den Fotos nicht gelesen werden.",
            plateUncertain: "Das Kennzeichen auf den Fotos konnte nicht sicher gelesen werden.",
            photosPassed: "Qualitätsprüfung bestanden: {used}.", photosPassedSome: "Qualitätsprüfung bestanden: {used}, nicht bestanden: {rejected}.",
            photo: ("Foto", "Fotos"), damage: ("Schaden", "Schäden"), newDamage: ("neuer Schaden", "neue Schäden"),
            noDamageRecorded: "Kein Schaden festgestellt.", damagesRecorded: "Bei der Übergabe festgestellt: {count}.",
            compared: "Verglichen mit der Übergabe an Station {station} am {day}.",
            noCheckout: "Keine frühere Übergabe gefunden, daher kann kein Schaden als neu gelten.", noNew: "Kein neuer Schaden gefunden.",
            newFound: "Gefunden: {count}.",
            statusLines: [.preExisting: "Bereits vorhanden: {count}.", .needsReview: "Zu prüfen: {count}.", .unverified: "Nicht bestätigt: {count}.", .notSeen: "Nicht wieder gesehen: {count}."],
            note: "{id}: {status}, {severity}: {damage} – {place}", matched: ", entspricht {other}"
        ),
        labels: Labels(
            title: "Bericht {kind} {plate}", heading: "Inspektion bei {kind} — {plate}", stationLine: "Station {station}, {day}", reference: ", Referenz {reference}",
            plateCheck: "Kennzeichenprüfung: {check}.", comparedLine: "Verglichen mit der Übergabe an Station {station} am {day}.", attention: "Achtung:",
            summary: "Zusammenfassung", estimate: "Geschätzte Reparatur der neuen Schäden: {amount}", without: "ohne {missing}", damagesHeading: "Schäden",
            noDamage: "Kein Schaden gefunden.", columns: ["Nr.", "Status", "Schaden", "Wo", "Bauteil", "Schwere", "Anmerkung"], alsoDetected: "auch erkannt als {others}",
            evidence: "Beweise", onThe: " am Bauteil {part}", returnSide: "Rücknahme", checkoutSide: "Übergabe",
            noPhoto: "Das Foto kann nicht gezeigt werden (gelöscht oder unlesbar).",
            provenance: "Station {station}, Foto {place}; aufgenommen {taken}; hochgeladen {uploaded}", cameraSilent: "(von der Kamera nicht vermerkt)",
            review: "Prüfung", state: "Stand: <strong>{state}</strong>", finalSince: ", endgültig seit {day}",
            reviewColumns: ["Nr.", "Entscheidung", "Schaden", "Bauteil", "Schwere", "Begründung", "Berechnet"], toDecide: "offen", drawn: " (von einem Prüfer eingezeichnet)",
            yes: "ja", onceFinal: "sobald endgültig", no: "nein", charged: "Berechnet: {amount}.",
            chargedWithoutMatrix: "die oben bestätigten neuen Schäden (keine Kostentabelle)",
            nothingCharged: "Berechnet wird erst, wenn ein Prüfer den Bericht endgültig macht.", photos: "Fotos", photoColumns: ["Ansicht", "Verwendet", "Grund"],
            writtenBy: "Geschrieben von {provider}.",
            severityRules: "Schwere: Kratzer und Dellen nach ihrem Anteil am Foto, Risse und defekte Leuchten mittel außer wenn groß, Glasbruch und platte Reifen schwer; eine Stufe niedriger unter 50 % Sicherheit."
        ),
        classWords: words([
            "scratch": ["kratzer", "kratzern", "schramme", "schrammen", "zerkratzt", "verkratzt"],
            "dent": ["delle", "dellen", "beule", "beulen", "eingedellt", "verbeult"],
            "crack": ["riss", "risse", "rissen", "gerissen", "gesprungen", "sprung"],
            "glass_shatter": ["glasbruch", "glasbrüche", "glas", "scheibe", "scheiben", "windschutzscheibe", "zersplittert"],
            "lamp_broken": ["leuchte", "leuchten", "lampe", "lampen", "scheinwerfer", "rückleuchte", "rückleuchten", "rücklicht", "rücklichter"],
            "tire_flat": ["reifen", "reifenpanne", "platt", "platter", "platte"],
        ]),
        panelWords: [
            "tür": nil, "türen": nil, "stoßstange": nil, "stoßstangen": nil, "stoßfänger": nil, "motorhaube": nil, "haube": nil, "kofferraum": nil,
            "heckklappe": nil, "kofferraumdeckel": nil, "dach": nil, "kotflügel": nil, "spiegel": nil, "außenspiegel": nil, "schweller": nil,
            "säule": nil, "kühlergrill": nil, "grill": nil, "rad": "tire_flat", "räder": "tire_flat", "felge": "tire_flat", "felgen": "tire_flat",
        ],
        directionWords: [
            "vorne": "front", "vorn": "front", "front": "front", "hinten": "rear", "heck": "rear", "links": "left", "linke": "left", "linken": "left",
            "linker": "left", "rechts": "right", "rechte": "right", "rechten": "right", "rechter": "right",
        ],
        statusWords: [
            "neu": .new, "neue": .new, "neuer": .new, "neues": .new, "neuen": .new, "bestehend": .preExisting, "bestehende": .preExisting,
            "vorhanden": .preExisting, "vorhandene": .preExisting, "bereits": .preExisting, "frühere": .preExisting, "vorher": .preExisting,
            "prüfen": .needsReview, "überprüfen": .needsReview, "unbestätigt": .unverified, "unbestätigte": .unverified, "fehlend": .notSeen, "fehlende": .notSeen,
        ],
        negations: ["kein", "keine", "keinen", "keiner", "keinem", "nicht", "ohne", "weder"],
        numberWords: [
            "null": 0, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
            "beide": 2, "beiden": 2,
        ],
        statusAfterNoun: false
    )

    static let french = ReportLexicon(
        language: .fr,
        damages: [
            "scratch": ("rayure", "rayures"), "dent": ("bosse", "bosses"), "crack": ("fissure", "fissures"), "glass_shatter": ("bris de glace", "bris de glace"),
            "lamp_broken": ("feu cassé", "feux cassés"), "tire_flat": ("pneu à plat", "pneus à plat"),
        ],
        places: [
            .front: "avant", .frontLeft: "avant gauche", .left: "côté gauche", .rearLeft: "arrière gauche", .rear: "arrière", .rearRight: "arrière droit",
            .right: "côté droit", .frontRight: "avant droit", .interior: "intérieur", .odometer: "compteur kilométrique", .other: "autre vue",
        ],
        statuses: [.new: "nouveau", .preExisting: "déjà présent", .notSeen: "non revu", .needsReview: "à vérifier", .unverified: "non vérifié"],
        recorded: "constaté",
        severities: [.minor: "léger", .moderate: "moyen", .severe: "grave"],
        parts: partNames(
            single: [
                .frontBumper: "pare-chocs avant", .rearBumper: "pare-chocs arrière", .bonnet: "capot", .bootLid: "hayon", .roof: "toit",
                .windscreen: "pare-brise", .rearWindow: "lunette arrière", .interior: "intérieur", .unknown: "inconnu",
            ],
            door: "porte", wing: "aile", sideWindow: "vitre", wheel: "roue", mirror: "rétroviseur", headlamp: "phare", tailLamp: "feu arrière",
            front: "avant", rear: "arrière", left: "gauche", right: "droite"
        ),
        phrases: Phrases(
            checkout: "départ", return: "retour", inspection: "Inspection de {kind} de {plate} à la station {station} le {day}.",
            plateMismatch: "Les photos montrent la plaque {plate}, pas la plaque déclarée : contrôler le véhicule.",
            plateUnread: "La plaque n'a pas pu être lue sur les photos.", plateUncertain: "La plaque sur les photos n'a pas pu être lue avec certitude.",
            photosPassed: "Contrôle de qualité réussi : {used}.", photosPassedSome: "Contrôle de qualité réussi : {used}, échoué : {rejected}.",
            photo: ("photo", "photos"), damage: ("dommage", "dommages"), newDamage: ("nouveau dommage", "nouveaux dommages"),
            noDamageRecorded: "Aucun dommage constaté.", damagesRecorded: "Constaté au départ : {count}.",
            compared: "Comparé avec le départ à la station {station} le {day}.",
            noCheckout: "Aucun départ antérieur trouvé : aucun dommage ne peut être dit nouveau.", noNew: "Aucun nouveau dommage trouvé.",
            newFound: "Trouvé : {count}.",
            statusLines: [.preExisting: "Déjà présents : {count}.", .needsReview: "À vérifier : {count}.", .unverified: "Non vérifiés : {count}.", .notSeen: "Non revus : {count}."],
            note: "{id} : {status}, {severity} : {damage} – {place}", matched: ", correspond à {other}"
        ),
        labels: Labels(
            title: "Rapport de {kind} {plate}", heading: "Inspection de {kind} — {plate}", stationLine: "Station {station}, {day}", reference: ", référence {reference}",
            plateCheck: "Contrôle de la plaque : {check}.", comparedLine: "Comparé avec le départ à la station {station} le {day}.", attention: "Attention :",
            summary: "Résumé", estimate: "Réparation estimée des nouveaux dommages : {amount}", without: "sans {missing}", damagesHeading: "Dommages",
            noDamage: "Aucun dommage trouvé.", columns: ["N°", "Statut", "Dommage", "Où", "Pièce", "Gravité", "Remarque"], alsoDetected: "aussi détecté comme {others}",
            evidence: "Preuves", onThe: " sur la pièce {part}", returnSide: "Retour", checkoutSide: "Départ",
            noPhoto: "La photo ne peut pas être affichée (effacée ou illisible).",
            provenance: "Station {station}, photo {place} ; prise {taken} ; envoyée {uploaded}", cameraSilent: "(non enregistré par l'appareil)",
            review: "Vérification", state: "État : <strong>{state}</strong>", finalSince: ", définitif depuis le {day}",
            reviewColumns: ["N°", "Décision", "Dommage", "Pièce", "Gravité", "Motif", "Facturé"], toDecide: "à décider", drawn: " (tracé par un vérificateur)",
            yes: "oui", onceFinal: "une fois définitif", no: "non", charged: "Facturé : {amount}.",
            chargedWithoutMatrix: "les nouveaux dommages confirmés ci-dessus (pas de grille de coûts)",
            nothingCharged: "Rien n'est facturé tant qu'un vérificateur n'a pas rendu le rapport définitif.", photos: "Photos", photoColumns: ["Vue", "Utilisée", "Raison"],
            writtenBy: "Rédigé par {provider}.",
            severityRules: "Gravité : rayures et bosses selon leur part de la photo, fissures et feux cassés moyens sauf s'ils sont grands, bris de glace et pneus à plat graves ; un cran plus bas sous 50 % de confiance."
        ),
        classWords: words([
            "scratch": ["rayure", "rayures", "rayé", "rayée", "éraflure", "éraflures", "égratignure", "égratignures"],
            "dent": ["bosse", "bosses", "enfoncement", "cabossé", "cabossée"],
            "crack": ["fissure", "fissures", "fissuré", "fissurée", "fêlure", "fêlé", "fêlée"],
            "glass_shatter": ["bris", "glace", "vitre", "vitres", "brise", "brisé", "brisée"],
            "lamp_broken": ["feu", "feux", "phare", "phares", "optique", "optiques"],
            "tire_flat": ["pneu", "pneus", "crevaison", "crevé", "crevée"],
        ]),
        panelWords: [
            "porte": nil, "portes": nil, "chocs": nil, "capot": nil, "coffre": nil, "hayon": nil, "toit": nil, "aile": nil, "ailes": nil,
            "rétroviseur": nil, "rétroviseurs": nil, "caisse": nil, "montant": nil, "calandre": nil, "roue": "tire_flat", "roues": "tire_flat",
            "jante": "tire_flat", "jantes": "tire_flat",
        ],
        directionWords: ["avant": "front", "arrière": "rear", "gauche": "left", "droit": "right", "droite": "right", "droits": "right", "droites": "right"],
        statusWords: [
            "nouveau": .new, "nouvelle": .new, "nouveaux": .new, "nouvelles": .new, "existant": .preExisting, "existante": .preExisting,
            "préexistant": .preExisting, "préexistante": .preExisting, "déjà": .preExisting, "antérieur": .preExisting, "antérieure": .preExisting,
            "vérifier": .needsReview, "manquant": .notSeen, "manquante": .notSeen,
        ],
        negations: ["aucun", "aucune", "pas", "sans", "ni", "non"],
        numberWords: [
            "zéro": 0, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12,
        ],
        statusAfterNoun: true
    )

    static let spanish = ReportLexicon(
        language: .es,
        damages: [
            "scratch": ("arañazo", "arañazos"), "dent": ("abolladura", "abolladuras"), "crack": ("grieta", "grietas"),
            "glass_shatter": ("cristal roto", "cristales rotos"), "lamp_broken": ("faro roto", "faros rotos"), "tire_flat": ("neumático pinchado", "neumáticos pinchados"),
        ],
        places: [
            .front: "parte delantera", .frontLeft: "delantera izquierda", .left: "lado izquierdo", .rearLeft: "trasera izquierda", .rear: "parte trasera",
            .rearRight: "trasera derecha", .right: "lado derecho", .frontRight: "delantera derecha", .interior: "interior", .odometer: "cuentakilómetros",
            .other: "otra vista",
        ],
        statuses: [.new: "nuevo", .preExisting: "ya existente", .notSeen: "no visto de nuevo", .needsReview: "por revisar", .unverified: "no verificado"],
        recorded: "registrado",
        severities: [.minor: "leve", .moderate: "moderado", .severe: "grave"],
        parts: partNames(
            single: [
                .frontBumper: "parachoques delantero", .rearBumper: "parachoques trasero", .bonnet: "capó", .bootLid: "portón trasero", .roof: "techo",
                .windscreen: "parabrisas", .rearWindow: "luna trasera", .interior: "interior", .unknown: "desconocida",
            ],
            door: "puerta", wing: "aleta", sideWindow: "ventanilla", wheel: "rueda", mirror: "retrovisor", headlamp: "faro", tailLamp: "piloto trasero",
            front: "delantera", rear: "trasera", left: "izquierda", right: "derecha"
        ),
        phrases: Phrases(
            checkout: "entrega", return: "devolución", inspection: "Inspección de {kind} de {plate} en la estación {station} el {day}.",
            plateMismatch: "Las fotos muestran la matrícula {plate}, no la declarada: compruebe el vehículo.",
            plateUnread: "No se pudo leer la matrícula en las fotos.", plateUncertain: "La matrícula de las fotos no se pudo leer con certeza.",
            photosPassed: "Control de calidad superado: {used}.", photosPassedSome: "Control de calidad superado: {used}, no superado: {rejected}.",
            photo: ("foto", "fotos"), damage: ("daño", "daños"), newDamage: ("daño nuevo", "daños nuevos"),
            noDamageRecorded: "No se registró ningún daño.", damagesRecorded: "Registrado en la entrega: {count}.",
            compared: "Comparado con la entrega en la estación {station} el {day}.",
            noCheckout: "No se encontró una entrega anterior: ningún daño puede considerarse nuevo.", noNew: "No se encontró ningún daño nuevo.",
            newFound: "Encontrado: {count}.",
            statusLines: [.preExisting: "Ya existentes: {count}.", .needsReview: "Por revisar: {count}.", .unverified: "No verificados: {count}.", .notSeen: "No vistos de nuevo: {count}."],
            note: "{id}: {status}, {severity}: {damage} – {place}", matched: ", corresponde a {other}"
        ),
        labels: Labels(
            title: "Informe de {kind} {plate}", heading: "Inspección de {kind} — {plate}", stationLine: "Estación {station}, {day}", reference: ", referencia {reference}",
            plateCheck: "Comprobación de matrícula: {check}.", comparedLine: "Comparado con la entrega en la estación {station} el {day}.", attention: "Atención:",
            summary: "Resumen", estimate: "Reparación estimada de los daños nuevos: {amount}", without: "sin {missing}", damagesHeading: "Daños",
            noDamage: "No se encontró ningún daño.", columns: ["N.º", "Estado", "Daño", "Dónde", "Pieza", "Gravedad", "Nota"], alsoDetected: "también detectado como {others}",
            evidence: "Pruebas", onThe: " en la pieza {part}", returnSide: "Devolución", checkoutSide: "Entrega",
            noPhoto: "La foto no se puede mostrar (borrada o ilegible).",
            provenance: "Estación {station}, foto {place}; tomada {taken}; subida {uploaded}", cameraSilent: "(la cámara no lo registró)",
            review: "Revisión", state: "Estado: <strong>{state}</strong>", finalSince: ", definitivo desde {day}",
            reviewColumns: ["N.º", "Decisión", "Daño", "Pieza", "Gravedad", "Motivo", "Cobrado"], toDecide: "por decidir", drawn: " (marcado por un revisor)",
            yes: "sí", onceFinal: "cuando sea definitivo", no: "no", charged: "Cobrado: {amount}.",
            chargedWithoutMatrix: "los daños nuevos confirmados arriba (sin tabla de costes)",
            nothingCharged: "No se cobra nada hasta que un revisor hace definitivo el informe.", photos: "Fotos", photoColumns: ["Vista", "Usada", "Motivo"],
            writtenBy: "Redactado por {provider}.",
            severityRules: "Gravedad: arañazos y abolladuras según su parte de la foto, grietas y faros rotos moderados salvo si son grandes, cristales rotos y neumáticos pinchados graves; un grado menos con menos del 50 % de confianza."
        ),
        classWords: words([
            "scratch": ["arañazo", "arañazos", "rayón", "rayones", "rayado", "rayada", "raspón", "raspones"],
            "dent": ["abolladura", "abolladuras", "abollado", "abollada", "bollo", "bollos"],
            "crack": ["grieta", "grietas", "agrietado", "agrietada", "fisura", "fisuras"],
            "glass_shatter": ["cristal", "cristales", "vidrio", "luna", "parabrisas"],
            "lamp_broken": ["faro", "faros", "piloto", "pilotos", "luz", "luces"],
            "tire_flat": ["neumático", "neumáticos", "pinchado", "pinchazo", "reventado"],
        ]),
        panelWords: [
            "puerta": nil, "puertas": nil, "parachoques": nil, "capó": nil, "maletero": nil, "portón": nil, "techo": nil, "aleta": nil, "aletas": nil,
            "guardabarros": nil, "espejo": nil, "espejos": nil, "retrovisor": nil, "retrovisores": nil, "umbral": nil, "pilar": nil, "parrilla": nil,
            "rejilla": nil, "rueda": "tire_flat", "ruedas": "tire_flat", "llanta": "tire_flat", "llantas": "tire_flat",
        ],
        directionWords: [
            "delantera": "front", "delantero": "front", "delante": "front", "frontal": "front", "trasera": "rear", "trasero": "rear", "detrás": "rear",
            "izquierda": "left", "izquierdo": "left", "derecha": "right", "derecho": "right",
        ],
        statusWords: [
            "nuevo": .new, "nueva": .new, "nuevos": .new, "nuevas": .new, "existente": .preExisting, "existentes": .preExisting, "previo": .preExisting,
            "previa": .preExisting, "anterior": .preExisting, "ya": .preExisting, "revisar": .needsReview, "revisión": .needsReview, "faltante": .notSeen,
        ],
        negations: ["no", "ningún", "ninguna", "ninguno", "sin", "ni", "nunca"],
        numberWords: [
            "cero": 0, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
            "ambos": 2, "ambas": 2,
        ],
        statusAfterNoun: true
    )

    static let italian = ReportLexicon(
        language: .it,
        damages: [
            "scratch": ("graffio", "graffi"), "dent": ("ammaccatura", "ammaccature"), "crack": ("crepa", "crepe"), "glass_shatter": ("vetro rotto", "vetri rotti"),
            "lamp_broken": ("faro rotto", "fari rotti"), "tire_flat": ("pneumatico a terra", "pneumatici a terra"),
        ],
        places: [
            .front: "parte anteriore", .frontLeft: "anteriore sinistro", .left: "lato sinistro", .rearLeft: "posteriore sinistro", .rear: "parte posteriore",
            .rearRight: "posteriore destro", .right: "lato destro", .frontRight: "anteriore destro", .interior: "interno", .odometer: "contachilometri",
            .other: "altra vista",
        ],
        statuses: [.new: "nuovo", .preExisting: "già presente", .notSeen: "non rivisto", .needsReview: "da verificare", .unverified: "non verificato"],
        recorded: "rilevato",
        severities: [.minor: "lieve", .moderate: "moderato", .severe: "grave"],
        parts: partNames(
            single: [
                .frontBumper: "paraurti anteriore", .rearBumper: "paraurti posteriore", .bonnet: "cofano", .bootLid: "portellone", .roof: "tetto",
                .windscreen: "parabrezza", .rearWindow: "lunotto", .interior: "interno", .unknown: "sconosciuto",
            ],
            door: "portiera", wing: "parafango", sideWindow: "finestrino", wheel: "ruota", mirror: "specchietto", headlamp: "faro", tailLamp: "fanale posteriore",
            front: "anteriore", rear: "posteriore", left: "sinistra", right: "destra"
        ),
        phrases: Phrases(
            checkout: "consegna", return: "riconsegna", inspection: "Ispezione di {kind} di {plate} alla stazione {station} il {day}.",
            plateMismatch: "Le foto mostrano la targa {plate}, non quella dichiarata: controllare il veicolo.",
            plateUnread: "Non è stato possibile leggere la targa nelle foto.", plateUncertain: "La targa nelle foto non è stata letta con certezza.",
            photosPassed: "Controllo di qualità superato: {used}.", photosPassedSome: "Controllo di qualità superato: {used}, non superato: {rejected}.",
            photo: ("foto", "foto"), damage: ("danno", "danni"), newDamage: ("danno nuovo", "danni nuovi"),
            noDamageRecorded: "Nessun danno rilevato.", damagesRecorded: "Rilevato alla consegna: {count}.",
            compared: "Confrontato con la consegna alla stazione {station} il {day}.",
            noCheckout: "Nessuna consegna precedente trovata: nessun danno può dirsi nuovo.", noNew: "Nessun danno nuovo trovato.",
            newFound: "Trovato: {count}.",
            statusLines: [.preExisting: "Già presenti: {count}.", .needsReview: "Da verificare: {count}.", .unverified: "Non verificati: {count}.", .notSeen: "Non rivisti: {count}."],
            note: "{id}: {status}, {severity}: {damage} – {place}", matched: ", corrisponde a {other}"
        ),
        labels: Labels(
            title: "Rapporto di {kind} {plate}", heading: "Ispezione di {kind} — {plate}", stationLine: "Stazione {station}, {day}", reference: ", riferimento {reference}",
            plateCheck: "Controllo targa: {check}.", comparedLine: "Confrontato con la consegna alla stazione {station} il {day}.", attention: "Attenzione:",
            summary: "Riepilogo", estimate: "Riparazione stimata dei danni nuovi: {amount}", without: "senza {missing}", damagesHeading: "Danni",
            noDamage: "Nessun danno trovato.", columns: ["N.", "Stato", "Danno", "Dove", "Parte", "Gravità", "Nota"], alsoDetected: "rilevato anche come {others}",
            evidence: "Prove", onThe: " sulla parte {part}", returnSide: "Riconsegna", checkoutSide: "Consegna",
            noPhoto: "La foto non può essere mostrata (cancellata o illeggibile).",
            provenance: "Stazione {station}, foto {place}; scattata {taken}; caricata {uploaded}", cameraSilent: "(non registrato dalla fotocamera)",
            review: "Revisione", state: "Stato: <strong>{state}</strong>", finalSince: ", definitivo dal {day}",
            reviewColumns: ["N.", "Decisione", "Danno", "Parte", "Gravità", "Motivo", "Addebitato"], toDecide: "da decidere", drawn: " (tracciato da un revisore)",
            yes: "sì", onceFinal: "quando definitivo", no: "no", charged: "Addebitato: {amount}.",
            chargedWithoutMatrix: "i danni nuovi confermati sopra (nessuna tabella dei costi)",
            nothingCharged: "Nulla viene addebitato finché un revisore non rende definitivo il rapporto.", photos: "Foto", photoColumns: ["Vista", "Usata", "Motivo"],
            writtenBy: "Scritto da {provider}.",
            severityRules: "Gravità: graffi e ammaccature secondo la loro parte della foto, crepe e fari rotti moderati salvo se grandi, vetri rotti e pneumatici a terra gravi; un grado in meno sotto il 50 % di confidenza."
        ),
        classWords: words([
            "scratch": ["graffio", "graffi", "graffiato", "graffiata", "striscio", "strisciata"],
            "dent": ["ammaccatura", "ammaccature", "ammaccato", "ammaccata", "bozzo", "bozza"],
            "crack": ["crepa", "crepe", "crepato", "incrinatura", "incrinato", "fessura"],
            "glass_shatter": ["vetro", "vetri", "cristallo", "parabrezza", "frantumato"],
            "lamp_broken": ["faro", "fari", "fanale", "fanali", "luce", "luci", "proiettore"],
            "tire_flat": ["pneumatico", "pneumatici", "gomma", "gomme", "foratura", "forato", "bucato"],
        ]),
        panelWords: [
            "portiera": nil, "portiere": nil, "porta": nil, "paraurti": nil, "cofano": nil, "bagagliaio": nil, "portellone": nil, "tetto": nil,
            "parafango": nil, "parafanghi": nil, "specchietto": nil, "specchietti": nil, "sottoporta": nil, "montante": nil, "griglia": nil,
            "calandra": nil, "ruota": "tire_flat", "ruote": "tire_flat", "cerchio": "tire_flat", "cerchi": "tire_flat", "cerchione": "tire_flat",
        ],
        directionWords: [
            "anteriore": "front", "anteriori": "front", "davanti": "front", "posteriore": "rear", "posteriori": "rear", "dietro": "rear",
            "sinistro": "left", "sinistra": "left", "sinistri": "left", "destro": "right", "destra": "right", "destri": "right",
        ],
        statusWords: [
            "nuovo": .new, "nuova": .new, "nuovi": .new, "nuove": .new, "esistente": .preExisting, "esistenti": .preExisting, "precedente": .preExisting,
            "preesistente": .preExisting, "già": .preExisting, "verificare": .needsReview, "mancante": .notSeen,
        ],
        negations: ["nessun", "nessuna", "nessuno", "non", "senza", "né"],
        numberWords: [
            "zero": 0, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "undici": 11, "dodici": 12,
            "entrambi": 2, "entrambe": 2,
        ],
        statusAfterNoun: true
    )

    static let dutch = ReportLexicon(
        language: .nl,
        damages: [
            "scratch": ("kras", "krassen"), "dent": ("deuk", "deuken"), "crack": ("barst", "barsten"), "glass_shatter": ("glasbreuk", "glasbreuken"),
            "lamp_broken": ("kapotte lamp", "kapotte lampen"), "tire_flat": ("lekke band", "lekke banden"),
        ],
        places: [
            .front: "voorkant", .frontLeft: "linksvoor", .left: "linkerkant", .rearLeft: "linksachter", .rear: "achterkant", .rearRight: "rechtsachter",
            .right: "rechterkant", .frontRight: "rechtsvoor", .interior: "interieur", .odometer: "kilometerteller", .other: "ander aanzicht",
        ],
        statuses: [.new: "nieuw", .preExisting: "al aanwezig", .notSeen: "niet teruggezien", .needsReview: "te controleren", .unverified: "niet geverifieerd"],
        recorded: "vastgesteld",
        severities: [.minor: "licht", .moderate: "matig", .severe: "ernstig"],
        parts: partNames(
            single: [
                .frontBumper: "bumper voorkant", .rearBumper: "bumper achterkant", .bonnet: "motorkap", .bootLid: "achterklep", .roof: "dak",
                .windscreen: "voorruit", .rearWindow: "achterruit", .interior: "interieur", .unknown: "onbekend",
            ],
            door: "deur", wing: "spatbord", sideWindow: "zijruit", wheel: "wiel", mirror: "spiegel", headlamp: "koplamp", tailLamp: "achterlicht",
            front: "voorkant", rear: "achterkant", left: "links", right: "rechts"
        ),
        phrases: Phrases(
            checkout: "uitgifte", return: "inname", inspection: "Inspectie bij {kind} van {plate} op station {station} op {day}.",
            plateMismatch: "De foto's tonen kenteken {plate}, niet het opgegeven kenteken: controleer het voertuig.",
            plateUnread: "Het kenteken kon op de foto's niet worden gelezen.", plateUncertain: "Het kenteken op de foto's kon niet met zekerheid worden gelezen.",
            photosPassed: "Kwaliteitscontrole geslaagd: {used}.", photosPassedSome: "Kwaliteitscontrole geslaagd: {used}, niet geslaagd: {rejected}.",
            photo: ("foto", "foto's"), damage: ("schade", "schades"), newDamage: ("nieuwe schade", "nieuwe schades"),
            noDamageRecorded: "Geen schade vastgesteld.", damagesRecorded: "Vastgesteld bij uitgifte: {count}.",
            compared: "Vergeleken met de uitgifte op station {station} op {day}.",
            noCheckout: "Geen eerdere uitgifte gevonden: geen schade kan nieuw worden genoemd.", noNew: "Geen nieuwe schade gevonden.",
            newFound: "Gevonden: {count}.",
            statusLines: [.preExisting: "Al aanwezig: {count}.", .needsReview: "Te controleren: {count}.", .unverified: "Niet geverifieerd: {count}.", .notSeen: "Niet teruggezien: {count}."],
            note: "{id}: {status}, {severity}: {damage} – {place}", matched: ", komt overeen met {other}"
        ),
        labels: Labels(
            title: "Rapport {kind} {plate}", heading: "Inspectie bij {kind} — {plate}", stationLine: "Station {station}, {day}", reference: ", referentie {reference}",
            plateCheck: "Kentekencontrole: {check}.", comparedLine: "Vergeleken met de uitgifte op station {station} op {day}.", attention: "Let op:",
            summary: "Samenvatting", estimate: "Geschatte reparatie van de nieuwe schades: {amount}", without: "zonder {missing}", damagesHeading: "Schades",
            noDamage: "Geen schade gevonden.", columns: ["Nr.", "Status", "Schade", "Waar", "Onderdeel", "Ernst", "Opmerking"], alsoDetected: "ook herkend als {others}",
            evidence: "Bewijs", onThe: " op onderdeel {part}", returnSide: "Inname", checkoutSide: "Uitgifte",
            noPhoto: "De foto kan niet worden getoond (gewist of onleesbaar).",
            provenance: "Station {station}, foto {place}; genomen {taken}; geüpload {uploaded}", cameraSilent: "(niet door de camera vastgelegd)",
            review: "Beoordeling", state: "Stand: <strong>{state}</strong>", finalSince: ", definitief sinds {day}",
            reviewColumns: ["Nr.", "Besluit", "Schade", "Onderdeel", "Ernst", "Reden", "In rekening"], toDecide: "te beslissen", drawn: " (getekend door een beoordelaar)",
            yes: "ja", onceFinal: "zodra definitief", no: "nee", charged: "In rekening gebracht: {amount}.",
            chargedWithoutMatrix: "de hierboven bevestigde nieuwe schades (geen kostentabel)",
            nothingCharged: "Er wordt niets in rekening gebracht totdat een beoordelaar het rapport definitief maakt.", photos: "Foto's",
            photoColumns: ["Aanzicht", "Gebruikt", "Reden"],
            writtenBy: "Geschreven door {provider}.",
            severityRules: "Ernst: krassen en deuken naar hun deel van de foto, barsten en kapotte lampen matig tenzij groot, glasbreuk en lekke banden ernstig; een stap lager onder 50 % zekerheid."
        ),
        classWords: words([
            "scratch": ["kras", "krassen", "gekrast", "schram", "schrammen"],
            "dent": ["deuk", "deuken", "gedeukt", "bluts", "blutsen"],
            "crack": ["barst", "barsten", "scheur", "scheuren", "gebarsten"],
            "glass_shatter": ["glasbreuk", "glasbreuken", "glas", "ruit", "ruiten", "voorruit"],
            "lamp_broken": ["lamp", "lampen", "koplamp", "koplampen", "achterlicht", "achterlichten"],
            "tire_flat": ["band", "banden", "lekke", "lek"],
        ]),
        panelWords: [
            "deur": nil, "deuren": nil, "bumper": nil, "bumpers": nil, "motorkap": nil, "kap": nil, "kofferbak": nil, "achterklep": nil, "dak": nil,
            "spatbord": nil, "spatborden": nil, "spiegel": nil, "spiegels": nil, "dorpel": nil, "stijl": nil, "grille": nil, "wiel": "tire_flat",
            "wielen": "tire_flat", "velg": "tire_flat", "velgen": "tire_flat",
        ],
        // "voor" is also "for": only the unambiguous words.
        directionWords: [
            "voorkant": "front", "voorzijde": "front", "achterkant": "rear", "achterzijde": "rear", "achter": "rear", "links": "left", "linker": "left",
            "linkerkant": "left", "rechts": "right", "rechter": "right", "rechterkant": "right",
        ],
        statusWords: [
            "nieuw": .new, "nieuwe": .new, "bestaand": .preExisting, "bestaande": .preExisting, "eerder": .preExisting, "eerdere": .preExisting,
            "reeds": .preExisting, "aanwezig": .preExisting, "controleren": .needsReview, "ontbrekend": .notSeen, "ontbrekende": .notSeen,
        ],
        negations: ["geen", "niet", "zonder", "noch"],
        numberWords: [
            "nul": 0, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
            "beide": 2,
        ],
        statusAfterNoun: false
    )
}
