"""Ordinary posts, WITHOUT personal details, for the personal-details guard's test: the kinds
this site carries, in English, Spanish, Portuguese, German and French. Theory with years, page
numbers and statistics; event announcements with dates, times, cities and public squares;
memes and greentext; quotes of posts; prices, ISBNs, the URLs of organisations' pages.

Posts are one to three sentences drawn from the banks below with their slots filled (seeded,
so the corpus is the same on every run). `python -m tests.corpus_ordinary` prints them.
"""

import random

from tests.corpus_personal import SEED, Sample
from tests.corpus_sentences import LONE, SENTENCES

AUTHORS = ["Marx", "Engels", "Rosa Luxemburg", "Gramsci", "Lenin", "Kropotkin", "Fanon",
           "Silvia Federici", "David Harvey", "Angela Davis", "Paulo Freire", "Mariátegui",
           "Clara Zetkin", "Bakunin", "Kollontai", "Walter Rodney", "Nancy Fraser", "Bordiga"]
WORKS = ["Capital", "the Grundrisse", "The Accumulation of Capital", "the Prison Notebooks",
         "State and Revolution", "Mutual Aid", "The Wretched of the Earth", "Caliban and the Witch",
         "Pedagogy of the Oppressed", "Women, Race and Class", "How Europe Underdeveloped Africa",
         "the Communist Manifesto", "Reform or Revolution", "The Conquest of Bread",
         "Seven Interpretive Essays", "The Limits to Capital", "Wage Labour and Capital"]
CITIES = ["Lisbon", "Porto", "Coimbra", "Madrid", "Barcelona", "Valencia", "Bilbao", "Sevilla",
          "Berlin", "Hamburg", "Leipzig", "Munich", "Vienna", "Paris", "Lyon", "Marseille",
          "Toulouse", "London", "Manchester", "Glasgow", "Bristol", "São Paulo", "Buenos Aires",
          "Brussels", "Montreal", "Mexico City", "Santiago", "Belo Horizonte", "Zaragoza"]
LANDMARKS = {
    "en": ["Trafalgar Square", "Hyde Park Corner", "the town hall", "George Square",
           "Piccadilly Gardens", "the central station", "the university steps", "College Green"],
    "es": ["la Puerta del Sol", "la Plaza Mayor", "Plaza de Cataluña", "la Plaza del Pilar",
           "el Ayuntamiento", "Atocha", "la Plaza de la Virgen", "Plaza de Mayo"],
    "pt": ["o Largo do Camões", "a Praça do Comércio", "a Avenida da Liberdade", "o Rossio",
           "a Praça da Batalha", "o Martim Moniz", "a Avenida Paulista", "a Praça da Sé"],
    "de": ["Alexanderplatz", "Oranienplatz", "dem Hauptbahnhof", "dem Rathausmarkt",
           "Heldenplatz", "dem Marienplatz", "Karl-Marx-Allee", "dem Augustusplatz"],
    "fr": ["place de la République", "place de la Bastille", "place Bellecour",
           "le Vieux-Port", "place du Capitole", "la gare du Nord", "place d'Italie"],
}
ORG_URLS = [
    "https://www.iww.org/", "https://cnt.es/", "https://www.cgt.fr/actualites",
    "https://www.marxists.org/archive/luxemburg/1913/accumulation-capital/index.htm",
    "https://libcom.org/library/", "https://www.dsausa.org/events/", "https://fau.org/",
    "https://www.pcp.pt/", "https://www.verdi.de/presse", "https://www.attac.org/",
    "https://freedompress.org.uk/", "https://www.versobooks.com/blogs/news/4932",
    "https://archive.org/details/capital-vol-1-1867", "https://www.marxists.org/espanol/",
    "https://www.facebook.com/events/1234567890123/", "https://www.cgtp.pt/",
    "https://www.youtube.com/watch?v=x2Aa9vKQ1Nk", "https://www.marxists.org/deutsch/",
    "http://leftbookzine7k3qj5xh2pn4m6vd2xw3ytl7c4hqfz3k2v5w6ezxbqrqd.onion/issues/12",
    "https://www.sindicatodeinquilinas.org/", "https://en.wikipedia.org/wiki/Paris_Commune",
    "https://www.jacobin.de/artikel/streik-2023", "https://lundi.am/", "https://www.ccoo.es/",
]
MONTHS = {"en": ["January", "February", "March", "April", "May", "June", "July", "September",
                 "October", "November", "December"],
          "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "octubre", "noviembre"],
          "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "outubro"],
          "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Oktober", "November"],
          "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "octobre", "novembre"]}
WEEKDAYS = {"en": ["Saturday", "Sunday", "Friday"], "es": ["sábado", "domingo", "viernes"],
            "pt": ["sábado", "domingo", "sexta-feira"], "de": ["Samstag", "Sonntag", "Freitag"],
            "fr": ["samedi", "dimanche", "vendredi"]}


def isbn13(rng: random.Random) -> str:
    body = "978" + "".join(rng.choice("0123456789") for _ in range(9))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    full = body + str((10 - total % 10) % 10)
    return f"{full[:3]}-{full[3]}-{full[4:8]}-{full[8:12]}-{full[12]}"


def slots(rng: random.Random, language: str) -> dict[str, str]:
    year = rng.randint(1789, 2025)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    pct = f"{rng.randint(1, 89)}{rng.choice(['.', ','])}{rng.randint(0, 9)}%"
    big = rng.choice([f"{rng.randint(1, 999):,}", f"{rng.randint(1000, 999999):,}",
                      f"{rng.randint(1, 99)} {rng.randint(100, 999)}",
                      f"{rng.randint(1, 9)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}",
                      f"{rng.randint(2, 400)} 000", f"{rng.randint(2, 90)} 000 000",
                      f"{rng.randint(1, 9)}.{rng.randint(1, 9)} million"])
    page = rng.randint(3, 880)
    hour, minute = rng.randint(9, 21), rng.choice([0, 0, 15, 30, 45])
    times = {"en": [f"{hour}:{minute:02d}", f"{hour - 12 if hour > 12 else hour}pm",
                    f"{hour}.{minute:02d}"],
             "es": [f"{hour}:{minute:02d}", f"{hour}h", f"las {hour}:{minute:02d}"],
             "pt": [f"{hour}h{minute:02d}" if minute else f"{hour}h", f"{hour}:{minute:02d}"],
             "de": [f"{hour} Uhr", f"{hour}:{minute:02d} Uhr", f"{hour}.{minute:02d} Uhr"],
             "fr": [f"{hour}h{minute:02d}" if minute else f"{hour}h", f"{hour} h"]}[language]
    dates = [f"{day:02d}/{month:02d}/{rng.choice([2026, 2027])}", f"2027-{month:02d}-{day:02d}",
             f"{day}.{month}.2027", f"{day} {rng.choice(MONTHS[language])}",
             f"{rng.choice(WEEKDAYS[language])} {day}"]
    prices = ["€12.50", "12,50 €", "£3", "$1,299", "R$ 45,00", "5 euros", "€ 8",
              f"{rng.randint(2, 40)} €", f"${rng.randint(5, 60)}", "20€"]
    n = rng.randint(1, 33)
    return {
        "year": str(year), "year2": str(min(2025, year + rng.randint(1, 60))),
        "decade": f"{year // 10 * 10}s", "pct": pct, "pct2": f"{rng.randint(1, 60)}%",
        "big": big, "page": str(page), "pages": f"{page}-{page + rng.randint(2, 40)}",
        "n": str(n), "n2": str(rng.randint(1, 9)), "author": rng.choice(AUTHORS),
        "work": rng.choice(WORKS), "city": rng.choice(CITIES),
        "place": rng.choice(LANDMARKS[language]), "url": rng.choice(ORG_URLS),
        "time": rng.choice(times), "date": rng.choice(dates), "price": rng.choice(prices),
        "isbn": isbn13(rng), "post": str(rng.randint(1000, 99999999)),
        "post2": str(rng.randint(1000, 99999999)), "month": rng.choice(MONTHS[language]),
        "day": str(day), "hour": str(hour), "count": str(rng.randint(2, 500)),
    }


def negatives(count: int = 2100) -> list[Sample]:
    rng = random.Random(SEED + 1)
    seen: set[str] = set()
    samples: list[Sample] = []
    languages = list(SENTENCES)
    while len(samples) < count:
        if rng.random() < 0.12:
            template, group = rng.choice(LONE), "meme"
            language = "en"
            text = template.format(**slots(rng, "en"))
        else:
            language = rng.choice(languages)
            picks = [rng.choice(list(SENTENCES[language].items())) for _ in
                     range(rng.choice([1, 1, 2, 2, 3]))]
            group = picks[0][0]
            values = slots(rng, language)
            text = " ".join(rng.choice(bank).format(**values) for _, bank in picks)
        if text not in seen:
            seen.add(text)
            samples.append(Sample(text, None, language, group))
    return samples


if __name__ == "__main__":
    import json

    for sample in negatives():
        print(json.dumps(sample.__dict__, ensure_ascii=False))
