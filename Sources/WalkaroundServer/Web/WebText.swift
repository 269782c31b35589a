import Hummingbird
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
    }

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
        .deskTitle: [.en: "Review desk", .de: "Prüfplatz", .fr: "Bureau d'expertise", .es: "Mesa de revisión", .it: "Banco di revisione", .nl: "Beoordelingsbureau"],
    ]
}
