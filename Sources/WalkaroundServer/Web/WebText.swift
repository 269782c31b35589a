import Hummingbird
import Reporting
import WalkaroundCore

/// The web app's words in the report languages. The page's language is `?lang=` (kept in a
/// cookie), else the cookie, else the browser's `Accept-Language`, else English.
struct WebText: Sendable {
    let language: ReportLanguage

    static let languageCookie = "walkaround_lang"

    static func language(of request: Request) -> (ReportLanguage, chosen: Bool) {
        if let asked = request.uri.queryParameters["lang"].flatMap({ ReportLanguage(rawValue: String($0)) }) { return (asked, true) }
        if let kept = request.cookies[languageCookie].flatMap({ ReportLanguage(rawValue: $0.value) }) { return (kept, false) }
        let header = request.headers[.acceptLanguage] ?? ""
        return (header.utf8.count <= 512 ? ReportLanguage.preferred(acceptLanguage: header) ?? .en : .en, false)
    }

    enum Key: String, CaseIterable {
        case appName, signInTitle, signInIntro, keyLabel, signInButton, signInFailed, signInExpired, signInLimited
        case signOut, languageLabel, forbiddenTitle, forbiddenText, captureTitle, deskTitle
        case renterTitle, renterBack, renterRefusedTitle, renterRefused, renterBefore, renterAfter, renterContested, renterWhy, renterContest
        case renterComparedWith, renterReceived, renterReturned, renterNothing, renterInReview, renterTotal, renterSigned
    }

    /// The reports' domain words in this language (classes, parts, severities, statuses, views).
    var vocabulary: [String: String] { ReportVocabulary.words(language) }

    subscript(_ key: Key) -> String {
        Self.table[key]?[language] ?? Self.table[key]?[.en] ?? key.rawValue
    }

    static let table: [Key: [ReportLanguage: String]] = [
        .appName: [.en: "Walkaround", .de: "Walkaround", .fr: "Walkaround", .es: "Walkaround", .it: "Walkaround", .nl: "Walkaround"],
        .signInTitle: [.en: "Sign in", .de: "Anmelden", .fr: "Connexion", .es: "Iniciar sesión", .it: "Accedi", .nl: "Inloggen"],
        .signInIntro: [
            .en: "Enter your station's or your reviewer key once; this browser stays signed in for the working day.",
            .de: "Geben Sie einmal den Schlüssel Ihrer Station oder Ihren Prüferschlüssel ein; dieser Browser bleibt den Arbeitstag über angemeldet.",
            .fr: "Saisissez une fois la clé de votre agence ou votre clé d'expert ; ce navigateur reste connecté pour la journée.",
            .es: "Introduzca una vez la clave de su estación o su clave de revisor; este navegador seguirá conectado durante la jornada.",
            .it: "Inserisca una volta la chiave della stazione o la sua chiave di revisore; questo browser resta connesso per la giornata.",
            .nl: "Voer één keer de sleutel van uw station of uw beoordelaarssleutel in; deze browser blijft de hele werkdag ingelogd.",
        ],
        .keyLabel: [.en: "Key", .de: "Schlüssel", .fr: "Clé", .es: "Clave", .it: "Chiave", .nl: "Sleutel"],
        .signInButton: [.en: "Sign in", .de: "Anmelden", .fr: "Se connecter", .es: "Entrar", .it: "Accedi", .nl: "Inloggen"],
        .signInFailed: [
            .en: "That key is not a valid Walkaround key, or it was revoked.",
            .de: "Dieser Schlüssel ist kein gültiger Walkaround-Schlüssel oder wurde widerrufen.",
            .fr: "Cette clé n'est pas une clé Walkaround valide, ou elle a été révoquée.",
            .es: "Esa clave no es una clave Walkaround válida o ha sido revocada.",
            .it: "Questa chiave non è una chiave Walkaround valida oppure è stata revocata.",
            .nl: "Die sleutel is geen geldige Walkaround-sleutel, of hij is ingetrokken.",
        ],
        .signInExpired: [
            .en: "The sign-in form expired. Please try again.",
            .de: "Das Anmeldeformular ist abgelaufen. Bitte versuchen Sie es erneut.",
            .fr: "Le formulaire de connexion a expiré. Veuillez réessayer.",
            .es: "El formulario de inicio de sesión ha caducado. Inténtelo de nuevo.",
            .it: "Il modulo di accesso è scaduto. Riprovi.",
            .nl: "Het inlogformulier is verlopen. Probeer het opnieuw.",
        ],
        .signInLimited: [
            .en: "Too many attempts. Wait a minute and try again.",
            .de: "Zu viele Versuche. Warten Sie eine Minute und versuchen Sie es erneut.",
            .fr: "Trop de tentatives. Attendez une minute puis réessayez.",
            .es: "Demasiados intentos. Espere un minuto y vuelva a intentarlo.",
            .it: "Troppi tentativi. Attenda un minuto e riprovi.",
            .nl: "Te veel pogingen. Wacht een minuut en probeer het opnieuw.",
        ],
        .signOut: [.en: "Sign out", .de: "Abmelden", .fr: "Déconnexion", .es: "Cerrar sesión", .it: "Esci", .nl: "Uitloggen"],
        .languageLabel: [.en: "Language", .de: "Sprache", .fr: "Langue", .es: "Idioma", .it: "Lingua", .nl: "Taal"],
        .forbiddenTitle: [.en: "Not for this key", .de: "Nicht für diesen Schlüssel", .fr: "Pas pour cette clé", .es: "No para esta clave", .it: "Non per questa chiave", .nl: "Niet voor deze sleutel"],
        .forbiddenText: [
            .en: "The key you signed in with may not open this page.",
            .de: "Der Schlüssel, mit dem Sie angemeldet sind, darf diese Seite nicht öffnen.",
            .fr: "La clé avec laquelle vous êtes connecté ne peut pas ouvrir cette page.",
            .es: "La clave con la que ha iniciado sesión no puede abrir esta página.",
            .it: "La chiave con cui ha effettuato l'accesso non può aprire questa pagina.",
            .nl: "De sleutel waarmee u bent ingelogd mag deze pagina niet openen.",
        ],
        .captureTitle: [.en: "Inspect a car", .de: "Fahrzeug prüfen", .fr: "Inspecter un véhicule", .es: "Inspeccionar un vehículo", .it: "Ispeziona un veicolo", .nl: "Auto inspecteren"],
        .renterTitle: [.en: "Damage report", .de: "Schadensbericht", .fr: "Rapport de dommages", .es: "Informe de daños", .it: "Rapporto danni", .nl: "Schaderapport"],
        .renterBack: [.en: "Back to the report", .de: "Zurück zum Bericht", .fr: "Retour au rapport", .es: "Volver al informe", .it: "Torna al rapporto", .nl: "Terug naar het rapport"],
        .renterRefusedTitle: [.en: "Link not valid", .de: "Link ungültig", .fr: "Lien non valide", .es: "Enlace no válido", .it: "Link non valido", .nl: "Link ongeldig"],
        .renterRefused: [
            .en: "This link is not valid: it may have expired or been withdrawn. Ask the rental station for a new one.",
            .de: "Dieser Link ist nicht gültig: Er ist vielleicht abgelaufen oder wurde zurückgezogen. Bitten Sie die Station um einen neuen.",
            .fr: "Ce lien n'est pas valide : il a peut-être expiré ou été retiré. Demandez-en un nouveau à l'agence.",
            .es: "Este enlace no es válido: puede haber caducado o haber sido retirado. Pida uno nuevo a la estación.",
            .it: "Questo link non è valido: potrebbe essere scaduto o ritirato. Ne chieda uno nuovo alla stazione.",
            .nl: "Deze link is niet geldig: hij is misschien verlopen of ingetrokken. Vraag het verhuurstation om een nieuwe.",
        ],
        .renterBefore: [.en: "At check-out", .de: "Bei Übergabe", .fr: "Au départ", .es: "En la entrega", .it: "Alla consegna", .nl: "Bij uitgifte"],
        .renterAfter: [.en: "At return", .de: "Bei Rückgabe", .fr: "Au retour", .es: "En la devolución", .it: "Alla riconsegna", .nl: "Bij inname"],
        .renterContested: [
            .en: "You contested this damage; a reviewer looks at it again.", .de: "Sie haben diesen Schaden beanstandet; ein Prüfer sieht ihn sich erneut an.",
            .fr: "Vous avez contesté ce dommage ; un expert le réexamine.", .es: "Ha impugnado este daño; un revisor lo vuelve a examinar.",
            .it: "Ha contestato questo danno; un revisore lo riesamina.", .nl: "U heeft deze schade betwist; een beoordelaar bekijkt hem opnieuw.",
        ],
        .renterWhy: [
            .en: "Why do you contest this damage?", .de: "Warum beanstanden Sie diesen Schaden?", .fr: "Pourquoi contestez-vous ce dommage ?",
            .es: "¿Por qué impugna este daño?", .it: "Perché contesta questo danno?", .nl: "Waarom betwist u deze schade?",
        ],
        .renterContest: [.en: "Contest this damage", .de: "Schaden beanstanden", .fr: "Contester ce dommage", .es: "Impugnar este daño", .it: "Contesta questo danno", .nl: "Schade betwisten"],
        .renterComparedWith: [.en: "Compared with the check-out at", .de: "Verglichen mit der Übergabe in", .fr: "Comparé au départ à", .es: "Comparado con la entrega en", .it: "Confrontato con la consegna a", .nl: "Vergeleken met de uitgifte in"],
        .renterReceived: [
            .en: "Thank you: your objection was received and the damage will be reviewed again.", .de: "Danke: Ihr Einwand ist eingegangen, der Schaden wird erneut geprüft.",
            .fr: "Merci : votre contestation a été reçue et le dommage sera réexaminé.", .es: "Gracias: hemos recibido su objeción y el daño se revisará de nuevo.",
            .it: "Grazie: la sua contestazione è stata ricevuta e il danno sarà riesaminato.", .nl: "Dank u: uw bezwaar is ontvangen en de schade wordt opnieuw beoordeeld.",
        ],
        .renterReturned: [.en: "Returned at", .de: "Zurückgegeben in", .fr: "Rendu à", .es: "Devuelto en", .it: "Riconsegnato a", .nl: "Ingeleverd in"],
        .renterNothing: [.en: "No damage is charged.", .de: "Es wird kein Schaden berechnet.", .fr: "Aucun dommage n'est facturé.", .es: "No se cobra ningún daño.", .it: "Nessun danno è addebitato.", .nl: "Er wordt geen schade in rekening gebracht."],
        .renterInReview: [
            .en: "This report is being reviewed again; nothing is charged until it is final.", .de: "Dieser Bericht wird erneut geprüft; bis er endgültig ist, wird nichts berechnet.",
            .fr: "Ce rapport est réexaminé ; rien n'est facturé avant qu'il soit définitif.", .es: "Este informe se está revisando de nuevo; no se cobra nada hasta que sea definitivo.",
            .it: "Questo rapporto è in riesame; nulla è addebitato finché non è definitivo.", .nl: "Dit rapport wordt opnieuw beoordeeld; er wordt niets in rekening gebracht tot het definitief is.",
        ],
        .renterTotal: [.en: "Total", .de: "Summe", .fr: "Total", .es: "Total", .it: "Totale", .nl: "Totaal"],
        .renterSigned: [.en: "Signed by key", .de: "Signiert mit Schlüssel", .fr: "Signé par la clé", .es: "Firmado con la clave", .it: "Firmato con la chiave", .nl: "Ondertekend met sleutel"],
        .deskTitle: [.en: "Review desk", .de: "Prüfplatz", .fr: "Bureau d'expertise", .es: "Mesa de revisión", .it: "Banco di revisione", .nl: "Beoordelingsbureau"],
    ]
}
