import Foundation
import WalkaroundCore

/// The capture app's words (Resources/web/capture.js reads them from the page as JSON).
extension WebText {
    /// `{name}` in a string is filled in by the script.
    static let capture: [String: [ReportLanguage: String]] = [
        "startTitle": [.en: "Start an inspection", .de: "Prüfung beginnen", .fr: "Commencer une inspection", .es: "Iniciar una inspección", .it: "Inizia un'ispezione", .nl: "Inspectie starten"],
        "kindLabel": [.en: "Inspection", .de: "Prüfung", .fr: "Inspection", .es: "Inspección", .it: "Ispezione", .nl: "Inspectie"],
        "checkout": [.en: "Check-out", .de: "Übergabe", .fr: "Départ", .es: "Entrega", .it: "Consegna", .nl: "Uitgifte"],
        "return": [.en: "Return", .de: "Rückgabe", .fr: "Retour", .es: "Devolución", .it: "Riconsegna", .nl: "Inname"],
        "plateLabel": [.en: "Licence plate", .de: "Kennzeichen", .fr: "Immatriculation", .es: "Matrícula", .it: "Targa", .nl: "Kenteken"],
        "plateMissing": [.en: "Enter the licence plate.", .de: "Bitte das Kennzeichen eingeben.", .fr: "Saisissez l'immatriculation.", .es: "Introduzca la matrícula.", .it: "Inserisca la targa.", .nl: "Vul het kenteken in."],
        "vinLabel": [.en: "VIN (optional)", .de: "FIN (optional)", .fr: "VIN (facultatif)", .es: "VIN (opcional)", .it: "VIN (facoltativo)", .nl: "VIN (optioneel)"],
        "start": [.en: "Start", .de: "Beginnen", .fr: "Commencer", .es: "Empezar", .it: "Inizia", .nl: "Starten"],
        "checkoutTitle": [.en: "Check-out of {plate}", .de: "Übergabe von {plate}", .fr: "Départ de {plate}", .es: "Entrega de {plate}", .it: "Consegna di {plate}", .nl: "Uitgifte van {plate}"],
        "returnTitle": [.en: "Return of {plate}", .de: "Rückgabe von {plate}", .fr: "Retour de {plate}", .es: "Devolución de {plate}", .it: "Riconsegna di {plate}", .nl: "Inname van {plate}"],
        "stepOf": [.en: "Photo {n} of {total}", .de: "Foto {n} von {total}", .fr: "Photo {n} sur {total}", .es: "Foto {n} de {total}", .it: "Foto {n} di {total}", .nl: "Foto {n} van {total}"],
        "view_front": [.en: "Front", .de: "Vorne", .fr: "Avant", .es: "Frontal", .it: "Anteriore", .nl: "Voorkant"],
        "view_front_left": [.en: "Front left", .de: "Vorne links", .fr: "Avant gauche", .es: "Delantera izquierda", .it: "Anteriore sinistra", .nl: "Linksvoor"],
        "view_left": [.en: "Left side", .de: "Linke Seite", .fr: "Côté gauche", .es: "Lateral izquierdo", .it: "Lato sinistro", .nl: "Linkerzijde"],
        "view_rear_left": [.en: "Rear left", .de: "Hinten links", .fr: "Arrière gauche", .es: "Trasera izquierda", .it: "Posteriore sinistra", .nl: "Linksachter"],
        "view_rear": [.en: "Rear", .de: "Hinten", .fr: "Arrière", .es: "Trasera", .it: "Posteriore", .nl: "Achterkant"],
        "view_rear_right": [.en: "Rear right", .de: "Hinten rechts", .fr: "Arrière droit", .es: "Trasera derecha", .it: "Posteriore destra", .nl: "Rechtsachter"],
        "view_right": [.en: "Right side", .de: "Rechte Seite", .fr: "Côté droit", .es: "Lateral derecho", .it: "Lato destro", .nl: "Rechterzijde"],
        "view_front_right": [.en: "Front right", .de: "Vorne rechts", .fr: "Avant droit", .es: "Delantera derecha", .it: "Anteriore destra", .nl: "Rechtsvoor"],
        "view_interior": [.en: "Interior", .de: "Innenraum", .fr: "Intérieur", .es: "Interior", .it: "Interno", .nl: "Interieur"],
        "view_odometer": [.en: "Odometer", .de: "Kilometerstand", .fr: "Compteur", .es: "Cuentakilómetros", .it: "Contachilometri", .nl: "Kilometerstand"],
        "optional": [.en: "optional", .de: "optional", .fr: "facultatif", .es: "opcional", .it: "facoltativo", .nl: "optioneel"],
        "hint_front": [
            .en: "Stand 3 m in front of the car; the whole front and the plate in the frame.", .de: "3 m vor dem Fahrzeug stehen; die ganze Front und das Kennzeichen im Bild.",
            .fr: "Placez-vous à 3 m devant le véhicule ; tout l'avant et la plaque dans le cadre.", .es: "Colóquese a 3 m delante del coche; todo el frontal y la matrícula en el encuadre.",
            .it: "Si metta a 3 m davanti all'auto; tutto il frontale e la targa nell'inquadratura.", .nl: "Sta 3 m voor de auto; de hele voorkant en het kenteken in beeld.",
        ],
        "hint_rear": [
            .en: "Stand 3 m behind the car; the whole rear and the plate in the frame.", .de: "3 m hinter dem Fahrzeug stehen; das ganze Heck und das Kennzeichen im Bild.",
            .fr: "Placez-vous à 3 m derrière le véhicule ; tout l'arrière et la plaque dans le cadre.", .es: "Colóquese a 3 m detrás del coche; toda la trasera y la matrícula en el encuadre.",
            .it: "Si metta a 3 m dietro l'auto; tutto il posteriore e la targa nell'inquadratura.", .nl: "Sta 3 m achter de auto; de hele achterkant en het kenteken in beeld.",
        ],
        "hint_side": [
            .en: "Step back until the whole side fits the outline; hold the phone level.", .de: "Zurücktreten, bis die ganze Seite in den Umriss passt; das Telefon gerade halten.",
            .fr: "Reculez jusqu'à ce que tout le côté tienne dans le contour ; tenez le téléphone droit.", .es: "Retroceda hasta que todo el lateral quepa en la silueta; sostenga el teléfono recto.",
            .it: "Arretri finché tutta la fiancata entra nel contorno; tenga il telefono dritto.", .nl: "Stap terug tot de hele zijkant in de omtrek past; houd de telefoon recht.",
        ],
        "take": [.en: "Take photo", .de: "Foto aufnehmen", .fr: "Prendre la photo", .es: "Hacer foto", .it: "Scatta foto", .nl: "Foto maken"],
        "retake": [.en: "Retake", .de: "Neu aufnehmen", .fr: "Reprendre", .es: "Repetir", .it: "Rifai", .nl: "Opnieuw"],
        "state_queued": [.en: "Waiting to upload", .de: "Wartet auf Upload", .fr: "En attente d'envoi", .es: "Esperando para subir", .it: "In attesa di invio", .nl: "Wacht op upload"],
        "state_uploading": [.en: "Uploading", .de: "Wird hochgeladen", .fr: "Envoi", .es: "Subiendo", .it: "Invio in corso", .nl: "Uploaden"],
        "state_checking": [.en: "Checking", .de: "Wird geprüft", .fr: "Vérification", .es: "Comprobando", .it: "Verifica", .nl: "Controleren"],
        "state_processed": [.en: "Accepted", .de: "Angenommen", .fr: "Acceptée", .es: "Aceptada", .it: "Accettata", .nl: "Geaccepteerd"],
        "state_rejected": [.en: "Retake needed", .de: "Bitte neu aufnehmen", .fr: "À reprendre", .es: "Hay que repetirla", .it: "Da rifare", .nl: "Opnieuw nodig"],
        "state_failed": [.en: "Not taken: retake", .de: "Nicht angenommen: neu aufnehmen", .fr: "Refusée : reprendre", .es: "No aceptada: repetir", .it: "Non accettata: rifare", .nl: "Niet aangenomen: opnieuw"],
        "rejectedNoAdvice": [.en: "The photo could not be used. Take it again.", .de: "Das Foto ist nicht verwendbar. Bitte neu aufnehmen.", .fr: "La photo est inutilisable. Reprenez-la.", .es: "La foto no se puede usar. Repítala.", .it: "La foto non è utilizzabile. La rifaccia.", .nl: "De foto is niet bruikbaar. Maak hem opnieuw."],
        "offline": [
            .en: "Offline: photos wait on this phone and upload when the network is back.", .de: "Offline: Fotos warten auf diesem Telefon und werden hochgeladen, sobald das Netz zurück ist.",
            .fr: "Hors ligne : les photos attendent sur ce téléphone et partent au retour du réseau.", .es: "Sin conexión: las fotos esperan en este teléfono y se suben al volver la red.",
            .it: "Offline: le foto restano su questo telefono e partono quando torna la rete.", .nl: "Offline: foto's wachten op deze telefoon en gaan mee zodra het netwerk terug is.",
        ],
        "finish": [.en: "Finish inspection", .de: "Prüfung abschließen", .fr: "Terminer l'inspection", .es: "Terminar la inspección", .it: "Concludi l'ispezione", .nl: "Inspectie afronden"],
        "reportWriting": [.en: "The report is being written…", .de: "Der Bericht wird erstellt …", .fr: "Le rapport est en cours de rédaction…", .es: "Se está redactando el informe…", .it: "Il rapporto è in preparazione…", .nl: "Het rapport wordt opgesteld…"],
        "reportReady": [.en: "Report", .de: "Bericht", .fr: "Rapport", .es: "Informe", .it: "Rapporto", .nl: "Rapport"],
        "noNewDamages": [.en: "No new damage found.", .de: "Keine neuen Schäden gefunden.", .fr: "Aucun nouveau dommage.", .es: "No se han encontrado daños nuevos.", .it: "Nessun nuovo danno.", .nl: "Geen nieuwe schade gevonden."],
        "checkoutStored": [.en: "The car's condition at check-out is stored.", .de: "Der Zustand bei Übergabe ist gespeichert.", .fr: "L'état au départ est enregistré.", .es: "El estado en la entrega está guardado.", .it: "Lo stato alla consegna è salvato.", .nl: "De staat bij uitgifte is opgeslagen."],
        "openReport": [.en: "Open the full report", .de: "Ganzen Bericht öffnen", .fr: "Ouvrir le rapport complet", .es: "Abrir el informe completo", .it: "Apri il rapporto completo", .nl: "Volledig rapport openen"],
        "storeFailed": [
            .en: "This photo could not be kept on the phone (is it full?). Take it again.", .de: "Das Foto konnte nicht auf dem Telefon gespeichert werden (ist es voll?). Bitte neu aufnehmen.",
            .fr: "La photo n'a pas pu être gardée sur le téléphone (est-il plein ?). Reprenez-la.", .es: "No se pudo guardar la foto en el teléfono (¿está lleno?). Repítala.",
            .it: "Non è stato possibile salvare la foto sul telefono (è pieno?). La rifaccia.", .nl: "De foto kon niet op de telefoon worden bewaard (is hij vol?). Maak hem opnieuw.",
        ],
        "shotSetAside": [
            .en: "A photo taken for another key's inspection is kept on this phone and not sent. Sign in with that key to send it.",
            .de: "Ein Foto für die Prüfung eines anderen Schlüssels bleibt auf diesem Telefon und wird nicht gesendet. Mit diesem Schlüssel anmelden, um es zu senden.",
            .fr: "Une photo prise pour l'inspection d'une autre clé reste sur ce téléphone sans être envoyée. Connectez-vous avec cette clé pour l'envoyer.",
            .es: "Una foto tomada para la inspección de otra clave se guarda en este teléfono sin enviarse. Inicie sesión con esa clave para enviarla.",
            .it: "Una foto scattata per l'ispezione di un'altra chiave resta su questo telefono senza essere inviata. Acceda con quella chiave per inviarla.",
            .nl: "Een foto voor de inspectie van een andere sleutel blijft op deze telefoon en wordt niet verstuurd. Log in met die sleutel om hem te versturen.",
        ],
        "shotRefused": [
            .en: "The photo of the {view} was refused:", .de: "Das Foto ({view}) wurde abgelehnt:", .fr: "La photo ({view}) a été refusée :",
            .es: "La foto ({view}) fue rechazada:", .it: "La foto ({view}) è stata rifiutata:", .nl: "De foto ({view}) is geweigerd:",
        ],
        "noNewButDoubtful": [
            .en: "No new damage was found for certain; some spots will be checked by a reviewer.", .de: "Kein neuer Schaden sicher erkannt; einige Stellen prüft ein Prüfer.",
            .fr: "Aucun nouveau dommage certain ; un expert vérifiera certains endroits.", .es: "No se ha encontrado ningún daño nuevo seguro; un revisor comprobará algunos puntos.",
            .it: "Nessun nuovo danno certo; alcuni punti saranno controllati da un revisore.", .nl: "Geen nieuwe schade met zekerheid gevonden; een beoordelaar controleert enkele plekken.",
        ],
        "alsoDoubtful": [
            .en: "{n} more spot(s) will be checked by a reviewer.", .de: "{n} weitere Stelle(n) prüft ein Prüfer.", .fr: "{n} autre(s) endroit(s) seront vérifiés par un expert.",
            .es: "Un revisor comprobará {n} punto(s) más.", .it: "Un revisore controllerà altri {n} punti.", .nl: "Een beoordelaar controleert nog {n} plek(ken).",
        ],
        "plateSuggested": [
            .en: "The photos show plate {plate}: check that this is the car and the plate you typed.", .de: "Die Fotos zeigen das Kennzeichen {plate}: Bitte Fahrzeug und eingegebenes Kennzeichen prüfen.",
            .fr: "Les photos montrent la plaque {plate} : vérifiez le véhicule et la plaque saisie.", .es: "Las fotos muestran la matrícula {plate}: compruebe el coche y la matrícula introducida.",
            .it: "Le foto mostrano la targa {plate}: controlli l'auto e la targa inserita.", .nl: "De foto's tonen kenteken {plate}: controleer de auto en het ingevoerde kenteken.",
        ],
        "another": [.en: "Inspect another car", .de: "Nächstes Fahrzeug", .fr: "Inspecter un autre véhicule", .es: "Inspeccionar otro coche", .it: "Ispeziona un'altra auto", .nl: "Volgende auto"],
    ]

    /// The capture strings in this page's language, as JSON safe inside a `<script type="application/json">`.
    var captureJSON: String {
        Self.scriptJSON(Self.capture.merging(Self.advice) { first, _ in first }.mapValues { $0[language] ?? $0[.en] ?? "" })
    }
}

extension WebText {
    /// The quality gate's advice per issue code, for the person holding the camera (the API's
    /// `advice` is English; the pages show these, by `quality.issues[].code`).
    static let advice: [String: [ReportLanguage: String]] = [
        "advice_too_blurry": [
            .en: "Blurred: hold the phone still, tap to focus on the car and retake.", .de: "Unscharf: Telefon ruhig halten, auf das Fahrzeug tippen zum Fokussieren und neu aufnehmen.",
            .fr: "Flou : tenez le téléphone immobile, touchez la voiture pour faire la mise au point et reprenez.", .es: "Borrosa: sujete el teléfono quieto, toque el coche para enfocar y repita.",
            .it: "Sfocata: tenga fermo il telefono, tocchi l'auto per mettere a fuoco e rifaccia.", .nl: "Onscherp: houd de telefoon stil, tik op de auto om scherp te stellen en maak opnieuw.",
        ],
        "advice_too_dark": [
            .en: "Too dark: retake with the flash or under the canopy light.", .de: "Zu dunkel: mit Blitz oder unter der Dachbeleuchtung neu aufnehmen.",
            .fr: "Trop sombre : reprenez avec le flash ou sous l'éclairage de l'auvent.", .es: "Demasiado oscura: repita con flash o bajo la luz de la marquesina.",
            .it: "Troppo scura: rifaccia con il flash o sotto la luce della pensilina.", .nl: "Te donker: maak opnieuw met flits of onder de overkappingsverlichting.",
        ],
        "advice_too_bright": [
            .en: "Too bright: glare or direct sun washes out the paint; shade the lens or step to the side and retake.",
            .de: "Zu hell: Blendung oder direkte Sonne überstrahlt den Lack; Objektiv abschatten oder zur Seite treten und neu aufnehmen.",
            .fr: "Trop claire : un reflet ou le soleil direct efface la peinture ; ombrez l'objectif ou décalez-vous et reprenez.",
            .es: "Demasiado clara: el reflejo o el sol directo borran la pintura; haga sombra al objetivo o muévase a un lado y repita.",
            .it: "Troppo chiara: riflessi o sole diretto cancellano la vernice; faccia ombra all'obiettivo o si sposti di lato e rifaccia.",
            .nl: "Te licht: schittering of directe zon wist de lak uit; scherm de lens af of stap opzij en maak opnieuw.",
        ],
        "advice_resolution_too_low": [
            .en: "Too small: use the camera at full resolution.", .de: "Zu klein: die Kamera mit voller Auflösung verwenden.", .fr: "Trop petite : utilisez l'appareil en pleine résolution.",
            .es: "Demasiado pequeña: use la cámara con la resolución máxima.", .it: "Troppo piccola: usi la fotocamera alla massima risoluzione.", .nl: "Te klein: gebruik de camera op volle resolutie.",
        ],
        "advice_near_duplicate": [
            .en: "The same picture as another view: step to this view's position and retake.", .de: "Das gleiche Bild wie eine andere Ansicht: an die Position dieser Ansicht gehen und neu aufnehmen.",
            .fr: "La même image qu'une autre vue : placez-vous pour cette vue et reprenez.", .es: "La misma imagen que otra vista: colóquese en la posición de esta vista y repita.",
            .it: "La stessa immagine di un'altra vista: si sposti nella posizione di questa vista e rifaccia.", .nl: "Hetzelfde beeld als een ander aanzicht: ga naar de positie van dit aanzicht en maak opnieuw.",
        ],
        "advice_unreadable": [
            .en: "The file is not a readable photo: take it again with the camera.", .de: "Die Datei ist kein lesbares Foto: mit der Kamera neu aufnehmen.", .fr: "Le fichier n'est pas une photo lisible : reprenez-la avec l'appareil.",
            .es: "El archivo no es una foto legible: vuelva a tomarla con la cámara.", .it: "Il file non è una foto leggibile: la rifaccia con la fotocamera.", .nl: "Het bestand is geen leesbare foto: maak hem opnieuw met de camera.",
        ],
        "advice_too_many_pixels": [
            .en: "Too large: use the camera's normal photo mode.", .de: "Zu groß: den normalen Fotomodus der Kamera verwenden.", .fr: "Trop grande : utilisez le mode photo normal de l'appareil.",
            .es: "Demasiado grande: use el modo de foto normal de la cámara.", .it: "Troppo grande: usi la modalità foto normale della fotocamera.", .nl: "Te groot: gebruik de gewone fotomodus van de camera.",
        ],
    ]
}
