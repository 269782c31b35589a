import Foundation
import Reporting
import WalkaroundCore

/// The review desk's words (Resources/web/desk.js reads them from the page as JSON); the
/// domain's words (classes, parts, severities, statuses, views) come from the reports' lexicon.
extension WebText {
    static let desk: [String: [ReportLanguage: String]] = [
        "inspections": [.en: "Inspections", .de: "Prüfungen", .fr: "Inspections", .es: "Inspecciones", .it: "Ispezioni", .nl: "Inspecties"],
        "station": [.en: "Station", .de: "Station", .fr: "Agence", .es: "Estación", .it: "Stazione", .nl: "Station"],
        "plate": [.en: "Plate", .de: "Kennzeichen", .fr: "Immatriculation", .es: "Matrícula", .it: "Targa", .nl: "Kenteken"],
        "kind": [.en: "Kind", .de: "Art", .fr: "Type", .es: "Tipo", .it: "Tipo", .nl: "Soort"],
        "status": [.en: "Status", .de: "Status", .fr: "Statut", .es: "Estado", .it: "Stato", .nl: "Status"],
        "created": [.en: "Created", .de: "Erstellt", .fr: "Créée", .es: "Creada", .it: "Creata", .nl: "Aangemaakt"],
        "any": [.en: "Any", .de: "Alle", .fr: "Tous", .es: "Todos", .it: "Tutti", .nl: "Alle"],
        "from": [.en: "From", .de: "Von", .fr: "Du", .es: "Desde", .it: "Dal", .nl: "Van"],
        "to": [.en: "To", .de: "Bis", .fr: "Au", .es: "Hasta", .it: "Al", .nl: "Tot"],
        "newDamage": [.en: "New damage", .de: "Neuer Schaden", .fr: "Nouveau dommage", .es: "Daño nuevo", .it: "Nuovo danno", .nl: "Nieuwe schade"],
        "awaitingReview": [.en: "Awaiting review", .de: "Prüfung ausstehend", .fr: "À examiner", .es: "Pendiente de revisión", .it: "Da revisionare", .nl: "Wacht op beoordeling"],
        "yes": [.en: "yes", .de: "ja", .fr: "oui", .es: "sí", .it: "sì", .nl: "ja"],
        "no": [.en: "no", .de: "nein", .fr: "non", .es: "no", .it: "no", .nl: "nee"],
        "filter": [.en: "Filter", .de: "Filtern", .fr: "Filtrer", .es: "Filtrar", .it: "Filtra", .nl: "Filteren"],
        "none": [.en: "No inspections.", .de: "Keine Prüfungen.", .fr: "Aucune inspection.", .es: "No hay inspecciones.", .it: "Nessuna ispezione.", .nl: "Geen inspecties."],
        "more": [.en: "More", .de: "Mehr", .fr: "Plus", .es: "Más", .it: "Altre", .nl: "Meer"],
        "checkout": [.en: "Check-out", .de: "Übergabe", .fr: "Départ", .es: "Entrega", .it: "Consegna", .nl: "Uitgifte"],
        "return": [.en: "Return", .de: "Rückgabe", .fr: "Retour", .es: "Devolución", .it: "Riconsegna", .nl: "Inname"],
        "status_open": [.en: "open", .de: "offen", .fr: "ouverte", .es: "abierta", .it: "aperta", .nl: "open"],
        "status_completed": [.en: "completed", .de: "abgeschlossen", .fr: "terminée", .es: "completada", .it: "completata", .nl: "afgerond"],
        "back": [.en: "Inspections", .de: "Prüfungen", .fr: "Inspections", .es: "Inspecciones", .it: "Ispezioni", .nl: "Inspecties"],
        "history": [.en: "Vehicle history", .de: "Fahrzeughistorie", .fr: "Historique du véhicule", .es: "Historial del vehículo", .it: "Storico del veicolo", .nl: "Voertuighistorie"],
        "photos": [.en: "Photos", .de: "Fotos", .fr: "Photos", .es: "Fotos", .it: "Foto", .nl: "Foto's"],
        "photo": [.en: "Photo", .de: "Foto", .fr: "Photo", .es: "Foto", .it: "Foto", .nl: "Foto"],
        "photo_queued": [.en: "waiting", .de: "wartet", .fr: "en attente", .es: "en espera", .it: "in attesa", .nl: "wacht"],
        "photo_processing": [.en: "checking", .de: "wird geprüft", .fr: "vérification", .es: "comprobando", .it: "verifica", .nl: "wordt gecontroleerd"],
        "photo_processed": [.en: "accepted", .de: "angenommen", .fr: "acceptée", .es: "aceptada", .it: "accettata", .nl: "geaccepteerd"],
        "photo_rejected": [.en: "rejected", .de: "abgelehnt", .fr: "refusée", .es: "rechazada", .it: "respinta", .nl: "afgewezen"],
        "photo_failed": [.en: "failed", .de: "fehlgeschlagen", .fr: "échec", .es: "fallida", .it: "non riuscita", .nl: "mislukt"],
        "report": [.en: "Report", .de: "Bericht", .fr: "Rapport", .es: "Informe", .it: "Rapporto", .nl: "Rapport"],
        "state_draft": [.en: "draft", .de: "Entwurf", .fr: "brouillon", .es: "borrador", .it: "bozza", .nl: "concept"],
        "state_reviewed": [.en: "reviewed", .de: "geprüft", .fr: "vérifié", .es: "revisado", .it: "revisionato", .nl: "beoordeeld"],
        "state_final": [.en: "final", .de: "endgültig", .fr: "définitif", .es: "definitivo", .it: "definitivo", .nl: "definitief"],
        "chargeable": [.en: "Chargeable", .de: "Berechenbar", .fr: "Facturable", .es: "Facturable", .it: "Addebitabile", .nl: "In rekening te brengen"],
        "noDamages": [.en: "No damages.", .de: "Keine Schäden.", .fr: "Aucun dommage.", .es: "Sin daños.", .it: "Nessun danno.", .nl: "Geen schade."],
        "isFinal": [.en: "This report is final.", .de: "Dieser Bericht ist endgültig.", .fr: "Ce rapport est définitif.", .es: "Este informe es definitivo.", .it: "Questo rapporto è definitivo.", .nl: "Dit rapport is definitief."],
        "markReviewed": [.en: "Mark reviewed", .de: "Als geprüft markieren", .fr: "Marquer vérifié", .es: "Marcar revisado", .it: "Segna come revisionato", .nl: "Als beoordeeld markeren"],
        "finalise": [.en: "Finalise", .de: "Abschließen", .fr: "Finaliser", .es: "Finalizar", .it: "Rendi definitivo", .nl: "Definitief maken"],
        "backToDraft": [.en: "Back to draft", .de: "Zurück zum Entwurf", .fr: "Revenir au brouillon", .es: "Volver a borrador", .it: "Torna a bozza", .nl: "Terug naar concept"],
        "confirm": [.en: "Confirm", .de: "Bestätigen", .fr: "Confirmer", .es: "Confirmar", .it: "Conferma", .nl: "Bevestigen"],
        "reject": [.en: "Reject", .de: "Ablehnen", .fr: "Rejeter", .es: "Rechazar", .it: "Respingi", .nl: "Afwijzen"],
        "edit": [.en: "Correct", .de: "Korrigieren", .fr: "Corriger", .es: "Corregir", .it: "Correggi", .nl: "Corrigeren"],
        "save": [.en: "Save", .de: "Speichern", .fr: "Enregistrer", .es: "Guardar", .it: "Salva", .nl: "Opslaan"],
        "saved": [.en: "Saved.", .de: "Gespeichert.", .fr: "Enregistré.", .es: "Guardado.", .it: "Salvato.", .nl: "Opgeslagen."],
        "decision_confirmed": [.en: "confirmed", .de: "bestätigt", .fr: "confirmé", .es: "confirmado", .it: "confermato", .nl: "bevestigd"],
        "decision_rejected": [.en: "rejected", .de: "abgelehnt", .fr: "rejeté", .es: "rechazado", .it: "respinto", .nl: "afgewezen"],
        "reason": [.en: "Reason", .de: "Grund", .fr: "Motif", .es: "Motivo", .it: "Motivo", .nl: "Reden"],
        "note": [.en: "Note", .de: "Notiz", .fr: "Note", .es: "Nota", .it: "Nota", .nl: "Notitie"],
        "reason_not_damage": [.en: "not a damage", .de: "kein Schaden", .fr: "pas un dommage", .es: "no es un daño", .it: "non è un danno", .nl: "geen schade"],
        "reason_pre_existing": [.en: "already there", .de: "schon vorhanden", .fr: "déjà présent", .es: "ya existía", .it: "già presente", .nl: "al aanwezig"],
        "reason_duplicate": [.en: "duplicate", .de: "doppelt", .fr: "doublon", .es: "duplicado", .it: "duplicato", .nl: "dubbel"],
        "reason_wear_and_tear": [.en: "wear and tear", .de: "normale Abnutzung", .fr: "usure normale", .es: "desgaste normal", .it: "normale usura", .nl: "normale slijtage"],
        "reason_insufficient_evidence": [.en: "not enough evidence", .de: "zu wenig Beleg", .fr: "preuves insuffisantes", .es: "pruebas insuficientes", .it: "prove insufficienti", .nl: "onvoldoende bewijs"],
        "reason_other": [.en: "other (note)", .de: "anderer (Notiz)", .fr: "autre (note)", .es: "otro (nota)", .it: "altro (nota)", .nl: "anders (notitie)"],
        "class": [.en: "Damage", .de: "Schaden", .fr: "Dommage", .es: "Daño", .it: "Danno", .nl: "Schade"],
        "part": [.en: "Part", .de: "Bauteil", .fr: "Élément", .es: "Pieza", .it: "Parte", .nl: "Onderdeel"],
        "severity": [.en: "Severity", .de: "Schwere", .fr: "Gravité", .es: "Gravedad", .it: "Gravità", .nl: "Ernst"],
        "addMissed": [.en: "Add a missed damage", .de: "Übersehenen Schaden ergänzen", .fr: "Ajouter un dommage manqué", .es: "Añadir un daño no detectado", .it: "Aggiungi un danno mancato", .nl: "Gemiste schade toevoegen"],
        "drawHint": [
            .en: "Choose the photo, draw a box around the damage, then add it.", .de: "Foto wählen, einen Rahmen um den Schaden ziehen, dann ergänzen.",
            .fr: "Choisissez la photo, tracez un cadre autour du dommage, puis ajoutez-le.", .es: "Elija la foto, dibuje un recuadro alrededor del daño y añádalo.",
            .it: "Scelga la foto, disegni un riquadro attorno al danno, poi lo aggiunga.", .nl: "Kies de foto, trek een kader om de schade en voeg hem toe.",
        ],
        "drawFirst": [.en: "Draw a box on the photo first.", .de: "Zuerst einen Rahmen auf das Foto ziehen.", .fr: "Tracez d'abord un cadre sur la photo.", .es: "Primero dibuje un recuadro en la foto.", .it: "Prima disegni un riquadro sulla foto.", .nl: "Trek eerst een kader op de foto."],
        "add": [.en: "Add damage", .de: "Schaden ergänzen", .fr: "Ajouter le dommage", .es: "Añadir daño", .it: "Aggiungi danno", .nl: "Schade toevoegen"],
        "added": [.en: "Damage added.", .de: "Schaden ergänzt.", .fr: "Dommage ajouté.", .es: "Daño añadido.", .it: "Danno aggiunto.", .nl: "Schade toegevoegd."],
        "changedMeanwhile": [
            .en: "Someone else changed this report meanwhile; it has been reloaded. Check and try again.", .de: "Jemand anderes hat den Bericht inzwischen geändert; er wurde neu geladen. Bitte prüfen und erneut versuchen.",
            .fr: "Quelqu'un d'autre a modifié ce rapport entre-temps ; il a été rechargé. Vérifiez et réessayez.", .es: "Otra persona cambió este informe mientras tanto; se ha recargado. Revíselo e inténtelo de nuevo.",
            .it: "Qualcun altro ha modificato il rapporto nel frattempo; è stato ricaricato. Controlli e riprovi.", .nl: "Iemand anders heeft dit rapport intussen gewijzigd; het is opnieuw geladen. Controleer en probeer opnieuw.",
        ],
        "audit": [.en: "Audit trail", .de: "Änderungsprotokoll", .fr: "Journal des modifications", .es: "Registro de cambios", .it: "Registro delle modifiche", .nl: "Wijzigingslog"],
        "audit_damage_reviewed": [.en: "reviewed", .de: "geprüft", .fr: "examiné", .es: "revisado", .it: "revisionato", .nl: "beoordeeld"],
        "audit_damage_added": [.en: "added", .de: "ergänzt", .fr: "ajouté", .es: "añadido", .it: "aggiunto", .nl: "toegevoegd"],
        "audit_state_changed": [.en: "state changed", .de: "Status geändert", .fr: "état modifié", .es: "estado cambiado", .it: "stato cambiato", .nl: "status gewijzigd"],
        "audit_review_discarded": [.en: "review discarded", .de: "Prüfung verworfen", .fr: "examen abandonné", .es: "revisión descartada", .it: "revisione scartata", .nl: "beoordeling vervallen"],
        "disputes": [.en: "Disputes from the renter", .de: "Einwände des Mieters", .fr: "Contestations du locataire", .es: "Objeciones del cliente", .it: "Contestazioni del cliente", .nl: "Bezwaren van de huurder"],
        "disputed": [.en: "Contested by the renter", .de: "Vom Mieter beanstandet", .fr: "Contesté par le locataire", .es: "Impugnado por el cliente", .it: "Contestato dal cliente", .nl: "Betwist door de huurder"],
        "renterLink": [.en: "Link for the renter", .de: "Link für den Mieter", .fr: "Lien pour le locataire", .es: "Enlace para el cliente", .it: "Link per il cliente", .nl: "Link voor de huurder"],
        "renterHint": [
            .en: "A signed link, valid for 30 days, to this final report: the charged damages with their photos, the total, and a way to contest a damage.",
            .de: "Ein signierter Link zu diesem endgültigen Bericht, 30 Tage gültig: die berechneten Schäden mit Fotos, die Summe und die Möglichkeit, einen Schaden zu beanstanden.",
            .fr: "Un lien signé, valable 30 jours, vers ce rapport définitif : les dommages facturés avec leurs photos, le total et la possibilité de contester.",
            .es: "Un enlace firmado, válido 30 días, a este informe definitivo: los daños cobrados con sus fotos, el total y la opción de impugnar un daño.",
            .it: "Un link firmato, valido 30 giorni, a questo rapporto definitivo: i danni addebitati con le foto, il totale e la possibilità di contestarli.",
            .nl: "Een ondertekende link, 30 dagen geldig, naar dit definitieve rapport: de aangerekende schade met foto's, het totaal en de mogelijkheid tot bezwaar.",
        ],
        "makeLink": [.en: "Make a renter link", .de: "Mieter-Link erstellen", .fr: "Créer un lien locataire", .es: "Crear enlace para el cliente", .it: "Crea link per il cliente", .nl: "Huurderslink maken"],
        "linkMade": [.en: "Link made: copy it now, it is shown only once.", .de: "Link erstellt: jetzt kopieren, er wird nur einmal gezeigt.", .fr: "Lien créé : copiez-le maintenant, il n'est affiché qu'une fois.", .es: "Enlace creado: cópielo ahora, solo se muestra una vez.", .it: "Link creato: lo copi ora, viene mostrato una sola volta.", .nl: "Link gemaakt: kopieer hem nu, hij wordt maar één keer getoond."],
        "checkoutCrop": [.en: "Damage {id} at check-out", .de: "Schaden {id} bei Übergabe", .fr: "Dommage {id} au départ", .es: "Daño {id} en la entrega", .it: "Danno {id} alla consegna", .nl: "Schade {id} bij uitgifte"],
        "returnCrop": [.en: "Damage {id} at return", .de: "Schaden {id} bei Rückgabe", .fr: "Dommage {id} au retour", .es: "Daño {id} en la devolución", .it: "Danno {id} alla riconsegna", .nl: "Schade {id} bij inname"],
    ]

    /// The desk's strings and the reports' domain words in this page's language, as JSON safe inside a `<script type="application/json">`.
    var deskJSON: String {
        var strings = Self.desk.merging(Self.advice) { first, _ in first }.mapValues { $0[language] ?? $0[.en] ?? "" }
        for (key, word) in ReportVocabulary.words(language) { strings[key] = word.prefix(1).uppercased() + word.dropFirst() }
        return Self.scriptJSON(strings)
    }

    /// The parts a reviewer may choose, in the vocabulary's order.
    static var partsJSON: String {
        scriptJSON(CarPart.allCases.filter { $0 != .unknown }.map(\.rawValue))
    }

    static func scriptJSON(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }
}
