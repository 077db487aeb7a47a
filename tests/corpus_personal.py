"""Posts WITH personal details, for the personal-details guard's test: every kind the issue
names, in English, Spanish, Portuguese, German and French, in the formats people type.

Each sample is (text, kind the guard must name, language). The numbers, names and places are
made up here (seeded, so the corpus is the same on every run); IBANs and card numbers carry
valid check digits, as real ones do. `python -m tests.corpus_personal` prints them.
"""

import random
import string
from dataclasses import dataclass

SEED = 17


@dataclass(frozen=True)
class Sample:
    text: str
    kind: str | None  # what the guard must name; None for an ordinary post
    language: str
    group: str


def digits(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def fill(rng: random.Random, pattern: str) -> str:
    """`pattern` with each `#` a random digit, `N` a digit 1-9, `P` a digit 2-9 (North
    American area codes), `L` a capital letter, `C` a consonant (Spanish plates)."""
    out = []
    for c in pattern:
        out.append({"#": rng.choice(string.digits), "N": rng.choice("123456789"),
                    "P": rng.choice("23456789"),
                    "L": rng.choice(string.ascii_uppercase),
                    "C": rng.choice("BCDFGHJKLMNPRSTVWXYZ")}.get(c, c))
    return "".join(out)


# ---- phone numbers ---------------------------------------------------------------------

PHONE_FORMATS = {
    "en": ["+44 7### ######", "07### ######", "020 #### ####", "+44 (0)20 #### ####",
           "(P##) P##-####", "P##-P##-####", "+1 P## P## ####", "1-800-P##-####",
           "P##.P##.####", "0161 ### ####"],
    "es": ["6## ### ###", "+34 6## ## ## ##", "91 ### ## ##", "6########", "+34 9## ### ###",
           "7## ## ## ##", "+34 622 ### ###"],
    "pt": ["9## ### ###", "+351 9## ### ###", "21 ### ####", "+351 21 ### ####", "9########",
           "+55 11 9####-####", "(11) 9####-####", "22 ### ####"],
    "de": ["0151 ########", "030 ########", "+49 30 #######", "(030) ####-####",
           "0176/#######", "+49 (0)170 #######", "0049 89 #######", "040 ### ### ##"],
    "fr": ["06 ## ## ## ##", "07.##.##.##.##", "+33 6 ## ## ## ##", "01 ## ## ## ##",
           "0033 1 ## ## ## ##", "06########", "+33 (0)7 ## ## ## ##"],
}
PHONE_TEXTS = {
    "en": ["Call me on {x} if you want to join the reading group.",
           "my number is {x}, text me and we can swap notes on chapter 3",
           "Anyone in the area interested in the tenants' union can ring {x}.",
           "{x} is my cell, hit me up",
           "Questions about the strike fund? WhatsApp {x}",
           "I'm on {x} after 6pm most days.",
           "Signal: {x}",
           "I organised the last one, you can reach me directly at {x}",
           "Need a lift to the picket? Phone {x}",
           "text {x} for the zine pdf"],
    "es": ["Llámame al {x} y lo hablamos.", "Mi número es {x}, escribidme.",
           "Para apuntarse al grupo de lectura: {x} (WhatsApp)", "Teléfono de contacto: {x}",
           "Escribidme al {x} por Signal", "Si queréis venir, mi móvil es {x}",
           "Soy de Vallecas, llamad al {x} para lo del sindicato",
           "{x} pregunta por mí"],
    "pt": ["Liga-me para o {x}", "O meu número é {x}, manda mensagem",
           "Contacto: {x}", "Manda mensagem para {x} no WhatsApp",
           "O meu telemóvel é {x}, liguem depois das 18h", "Zap: {x}",
           "quem quiser participar chama no {x}", "Podem ligar para {x}"],
    "de": ["Ruf mich an unter {x}", "Meine Nummer: {x}", "Handy: {x}",
           "Meldet euch bei mir unter {x}", "Tel. {x} (ab 18 Uhr)", "Erreichbar unter {x}",
           "Wer mitmachen will: {x} anrufen", "Schreibt mir auf Signal, {x}"],
    "fr": ["Appelle-moi au {x}", "Mon numéro : {x}", "Tél : {x}",
           "Pour venir, contactez-moi au {x}", "Mon portable c'est le {x}",
           "je suis joignable au {x} le soir", "{x} demandez Camille",
           "Écrivez-moi sur Signal au {x}"],
}

# ---- e-mail addresses ------------------------------------------------------------------

FIRST = ["maria", "joao", "lena", "karim", "ana", "tom", "ines", "pablo", "sophie", "jonas",
         "amelie", "rui", "lucia", "ahmed", "nora", "felix", "clara", "diego", "marta", "yusuf"]
LAST = ["silva", "garcia", "schmidt", "martin", "costa", "lopez", "weber", "dubois", "ferreira",
        "fernandez", "becker", "moreau", "santos", "ruiz", "wagner", "bernard", "pereira"]
MAIL_HOSTS = ["gmail.com", "protonmail.com", "riseup.net", "posteo.de", "yahoo.es", "sapo.pt",
              "gmx.de", "free.fr", "orange.fr", "outlook.com", "disroot.org", "tutanota.com",
              "proton.me", "hotmail.fr", "web.de"]
EMAIL_TEXTS = {
    "en": ["email me at {x} for the reading list", "my address is {x}",
           "Send your zine submissions to {x}", "contact: {x}",
           "write to {x} if you want to help with the food bank"],
    "es": ["Escribidme a {x}", "mi correo: {x}", "Mandad las propuestas a {x}",
           "Contacto: {x}"],
    "pt": ["Mandem e-mail para {x}", "o meu email é {x}", "Contacto: {x}",
           "escrevam para {x}"],
    "de": ["Schreibt mir an {x}", "Meine Mail: {x}", "Kontakt: {x}", "Mail an {x} genügt"],
    "fr": ["Écrivez-moi à {x}", "mon mail : {x}", "Contact : {x}",
           "Envoyez vos textes à {x}"],
}


def email(rng: random.Random) -> str:
    first, last, host = rng.choice(FIRST), rng.choice(LAST), rng.choice(MAIL_HOSTS)
    style = rng.randrange(7)
    if style == 0:
        return f"{first} [at] {host.split('.')[0]} [dot] {host.split('.')[1]}"
    if style == 1:
        return f"{first}.{last}(at){host}"
    if style == 2:
        return f"{first} at {host.split('.')[0]} dot {host.split('.')[1]}"
    return f"{first}{rng.choice(['.', '_', ''])}{last}{digits(rng, 2) if style > 4 else ''}@{host}"


# ---- street addresses ------------------------------------------------------------------

EN_STREETS = ["Elm Grove", "Baker Street", "Whitecross Road", "Acacia Avenue", "Mill Lane",
              "Victoria Road", "Church Street", "Park Drive", "Station Road", "Hill Crescent",
              "Maple Close", "Albert Terrace", "Kingsland Road", "Oak St", "Market Pl",
              "Queen's Walk", "Eastern Ave", "Spring Gardens", "Orchard Way", "Pine Ct"]
ES_STREETS = ["Calle Mayor", "C/ Alcalá", "Avenida de la Constitución", "Plaza de Olavide",
              "Calle de Toledo", "Paseo de Gracia", "Calle Goya", "Avda. Diagonal",
              "Calle Lavapiés", "Carrer de Verdi", "Calle del Pez", "Ronda de Valencia"]
PT_STREETS = ["Rua Augusta", "Rua das Flores", "Avenida da Liberdade", "Travessa do Carmo",
              "Largo do Rato", "Rua de Santa Catarina", "Rua do Almada", "Av. Paulista",
              "Rua Direita", "Praça da Alegria", "Rua dos Anjos", "Estrada de Benfica"]
DE_STREETS = ["Hauptstraße", "Karl-Marx-Allee", "Berliner Str.", "Schillerweg", "Gartenstraße",
              "Weserstraße", "Oranienstraße", "Kastanienallee", "Bahnhofstr.", "Lindenweg",
              "Schönhauser Allee", "Rigaer Straße", "Am Markt", "Hafenstraße"]
FR_STREETS = ["rue de la Paix", "avenue Jean Jaurès", "boulevard Voltaire",
              "rue des Martyrs", "place du Marché", "impasse des Lilas", "rue Saint-Maur",
              "allée des Tilleuls", "quai de Valmy", "chemin des Vignes", "rue Oberkampf"]
ADDRESS_TEXTS = {
    "en": ["I live at {x}, come by if you need a book", "The landlord at {x} is evicting everyone",
           "meet at my place, {x}", "He lives at {x}, everyone knows it",
           "the scab's house is {x}", "drop the leaflets at {x} (ring the top bell)"],
    "es": ["Vivo en {x}, pasaos cuando queráis", "El casero de {x} está desahuciando a todos",
           "Quedamos en mi casa, {x}", "Su dirección es {x}", "Dejad los carteles en {x}"],
    "pt": ["Moro na {x}, apareçam", "O senhorio da {x} quer despejar toda a gente",
           "Encontramo-nos em minha casa, {x}", "A morada dele é {x}",
           "Deixem os panfletos na {x}"],
    "de": ["Ich wohne in der {x}, kommt vorbei", "Der Vermieter in der {x} will alle rauswerfen",
           "Treffen bei mir, {x}", "Seine Adresse ist {x}", "Flyer bitte bei {x} abgeben"],
    "fr": ["J'habite au {x}, passez quand vous voulez", "Le proprio du {x} expulse tout le monde",
           "On se retrouve chez moi, {x}", "Son adresse : {x}",
           "Déposez les tracts au {x}"],
}
POSTCODE_ADDRESSES = [
    "Karl-Marx-Allee, 10243 Berlin", "Weserstraße, 12047 Berlin",
    "Baker Street, London NW1 6XE", "Kingsland Road, London E8 4AA",
    "Rua Augusta, 1100-048 Lisboa", "Rua do Almada, 4050-036 Porto",
    "rue de Belleville, 75020 Paris", "rue Oberkampf, 75011 Paris", "Calle de Alcalá, 28014 Madrid",
    "Carrer de Verdi, 08012 Barcelona", "Main St, Springfield, IL 62704",
    "Av. Paulista, 01310-100 São Paulo", "Oranienstraße, 10999 Berlin",
    "Mill Road, Cambridge CB1 2AD", "avenue Jean Jaurès, 69007 Lyon",
]
POSTCODE_LEADS = ["Address:", "Send it to", "Adresse :", "Dirección:", "Morada:", "Anschrift:",
                  "it's on"]


def street_address(rng: random.Random, language: str) -> str:
    n = str(rng.randint(1, 240))
    if language == "en":
        street = rng.choice(EN_STREETS)
        return rng.choice([f"{n} {street}", f"Flat {rng.randint(1, 9)}, {n} {street}",
                           f"{n}{rng.choice('AB')} {street}"])
    if language == "es":
        street = rng.choice(ES_STREETS)
        return rng.choice([f"{street} {n}", f"{street}, {n}, {rng.randint(1, 6)}º B",
                           f"{street} nº {n}"])
    if language == "pt":
        street = rng.choice(PT_STREETS)
        return rng.choice([f"{street} {n}", f"{street}, {n}, 2º Esq.", f"{street}, nº {n}"])
    if language == "de":
        street = rng.choice(DE_STREETS)
        return rng.choice([f"{street} {n}", f"{street} {n}{rng.choice('ab')}",
                           f"{street} {n}, Hinterhaus"])
    street = rng.choice(FR_STREETS)
    return rng.choice([f"{n} {street}", f"{n} bis, {street}", f"{n}, {street}"])


# ---- coordinates, bank and card numbers, plates, handles -------------------------------

COORDINATE_TEXTS = {
    "en": ["We're camping at {x}, bring tents", "the squat is at {x}",
           "drop point: {x}", "GPS {x}"],
    "es": ["Estamos acampados en {x}", "El punto es {x}", "coordenadas: {x}"],
    "pt": ["Estamos em {x}", "o local exato é {x}", "coordenadas {x}"],
    "de": ["Treffpunkt: {x}", "Wir sind hier: {x}", "Koordinaten {x}"],
    "fr": ["Rendez-vous aux coordonnées {x}", "On est là : {x}", "point GPS {x}"],
}


def coordinate(rng: random.Random) -> str:
    lat, lon = rng.uniform(36.0, 60.0), rng.uniform(-9.5, 25.0)
    d = rng.choice([4, 5, 6])
    style = rng.randrange(7)
    if style == 0:
        return f"{lat:.{d}f}, {lon:.{d}f}"
    if style == 1:
        return f"{lat:.4f}° N, {abs(lon):.4f}° {'E' if lon > 0 else 'W'}"
    if style == 2:
        return (f"{int(lat)}°{rng.randint(0, 59)}'{rng.randint(0, 59)}\"N "
                f"{int(abs(lon))}°{rng.randint(0, 59)}'{rng.randint(0, 59)}\"E")
    if style == 3:
        return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=19"
    if style == 4:
        return f"https://maps.google.com/?q={lat:.6f},{lon:.6f}"
    if style == 5:
        return f"geo:{lat:.5f},{lon:.5f}"
    return f"N {int(lat)}° {rng.randint(0, 59)}.{digits(rng, 3)} E {int(abs(lon)):03d}° " \
           f"{rng.randint(0, 59)}.{digits(rng, 3)}"


IBAN_SHAPES = {"DE": 18, "ES": 20, "PT": 21, "FR": 23, "GB": None, "IT": None}


def iban(rng: random.Random, country: str) -> str:
    if country == "GB":
        bban = "NWBK" + digits(rng, 14)
    elif country == "IT":
        bban = rng.choice(string.ascii_uppercase) + digits(rng, 22)
    else:
        bban = digits(rng, IBAN_SHAPES[country])
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    check = 98 - number % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


BANK_TEXTS = {
    "en": ["Donations for the legal fund: IBAN {x}", "send the money to {x}, it's my account",
           "my bank details: {x}"],
    "es": ["Donaciones a la caja de resistencia: {x}", "Mi cuenta: {x}", "IBAN {x}"],
    "pt": ["Donativos para o NIB {x}", "a minha conta é {x}", "IBAN: {x}"],
    "de": ["Spenden bitte an {x}", "Mein Konto: {x}", "Bankverbindung: {x}"],
    "fr": ["Dons sur le compte {x}", "Mon RIB : {x}", "IBAN : {x}"],
}
BANK_COUNTRY = {"en": "GB", "es": "ES", "pt": "PT", "de": "DE", "fr": "FR"}


def luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + digits(rng, length - len(prefix) - 1)
    for check in string.digits:
        candidate = body + check
        total = 0
        for i, c in enumerate(reversed(candidate)):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def card(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 3:
        n = luhn_number(rng, "37", 15)
        return f"{n[:4]} {n[4:10]} {n[10:]}"
    n = luhn_number(rng, rng.choice(["4", "51", "55", "4"]), 16)
    sep = rng.choice([" ", "-", ""])
    return sep.join(n[i:i + 4] for i in range(0, 16, 4))


CARD_TEXTS = {
    "en": ["lol I just posted my card number {x} by accident", "card: {x} exp 09/28",
           "pay for my ticket? {x}"],
    "es": ["Tarjeta {x}, caducidad 11/27", "mi tarjeta es {x}"],
    "pt": ["cartão {x} validade 03/29", "o número do cartão é {x}"],
    "de": ["Karte: {x}", "Kreditkarte {x} gültig bis 05/28"],
    "fr": ["carte bancaire {x}", "ma carte : {x} exp 12/27"],
}
PLATE_FORMATS = {"en": ["LL## LLL"], "es": ["####-CCC", "####CCC", "matrícula #### CCC"],
                 "pt": ["LL-##-LL", "##-LL-##", "##-##-LL"], "de": ["B-LL ####", "HH-LL ###"],
                 "fr": ["LL-###-LL"]}
PLATE_TEXTS = {
    "en": ["The unmarked cop car was {x}", "Their van, {x}, was parked outside the picket",
           "plate {x} keeps following the march", "the boss drives {x}"],
    "es": ["El coche de la secreta era {x}", "La furgoneta {x} estaba en el piquete",
           "apuntad: {x}"],
    "pt": ["A carrinha com matrícula {x} estava à porta", "o carro dele é {x}",
           "anotem: {x}"],
    "de": ["Das Zivilfahrzeug hatte das Kennzeichen {x}", "Sein Auto: {x}",
           "Der Transporter {x} stand vor dem Streikposten"],
    "fr": ["La voiture banalisée était immatriculée {x}", "Sa voiture : {x}",
           "le camion {x} bloquait le piquet"],
}
HANDLE_NAMES = ["red_rosa89", "comrade.lena", "jonas_w", "tiagofcosta", "la_pasionaria_",
                "anarchokarim", "marta.ruiz", "sophie_bzh", "kalle1917", "ines.bs"]
HANDLE_TEXTS = {
    "en": ["follow me {x}", "DM me on {x}", "my insta is {x}", "I post the photos on {x}"],
    "es": ["Seguidme en {x}", "mi perfil: {x}", "Escribidme por {x}"],
    "pt": ["segue-me no {x}", "o meu perfil é {x}", "falem comigo em {x}"],
    "de": ["Folgt mir: {x}", "Schreibt mir auf {x}", "mein Profil: {x}"],
    "fr": ["Suivez-moi sur {x}", "mon compte : {x}", "écrivez-moi sur {x}"],
}


def handle(rng: random.Random) -> str:
    name = rng.choice(HANDLE_NAMES)
    return rng.choice([f"@{name}", f"instagram.com/{name}", f"https://twitter.com/{name}",
                       f"IG: {name}", f"t.me/{name}", f"@{name}@mastodon.social",
                       f"u/{name.replace('.', '_')}", f"https://www.tiktok.com/@{name}",
                       f"Telegram: @{name}", f"https://x.com/{name}"])


def _samples(rng, kind, texts, make, per_language) -> list[Sample]:
    out = []
    for language, templates in texts.items():
        for i in range(per_language):
            text = templates[i % len(templates)].format(x=make(language))
            out.append(Sample(text, kind, language, f"{kind}/{language}"))
    return out


def positives() -> list[Sample]:
    rng = random.Random(SEED)
    samples = []
    samples += _samples(rng, "phone number", PHONE_TEXTS,
                        lambda lang: fill(rng, rng.choice(PHONE_FORMATS[lang])), 16)
    samples += _samples(rng, "e-mail address", EMAIL_TEXTS, lambda lang: email(rng), 8)
    samples += _samples(rng, "street address", ADDRESS_TEXTS,
                        lambda lang: street_address(rng, lang), 14)
    samples += [Sample(f"{rng.choice(POSTCODE_LEADS)} {a}", "street address", "mixed",
                       "street address/postcode") for a in POSTCODE_ADDRESSES]
    samples += _samples(rng, "coordinates", COORDINATE_TEXTS, lambda lang: coordinate(rng), 6)
    samples += _samples(rng, "bank account number", BANK_TEXTS,
                        lambda lang: iban(rng, BANK_COUNTRY[lang]), 5)
    samples += [Sample(f"sort code {fill(rng, '##-##-##')}, account {digits(rng, 8)}",
                       "bank account number", "en", "bank account number/uk"),
                Sample(f"routing number {digits(rng, 9)} account {digits(rng, 10)}",
                       "bank account number", "en", "bank account number/us"),
                Sample(f"Kontonummer {digits(rng, 10)}, BLZ {digits(rng, 8, '123456789')}",
                       "bank account number", "de", "bank account number/de")]
    samples += _samples(rng, "card number", CARD_TEXTS, lambda lang: card(rng), 5)
    samples += _samples(rng, "licence plate", PLATE_TEXTS,
                        lambda lang: fill(rng, rng.choice(PLATE_FORMATS[lang])), 7)
    samples += _samples(rng, "social-media handle", HANDLE_TEXTS, lambda lang: handle(rng), 7)
    return samples


if __name__ == "__main__":
    import json

    for sample in positives():
        print(json.dumps(sample.__dict__, ensure_ascii=False))
