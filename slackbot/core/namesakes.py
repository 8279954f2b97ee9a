"""Names that look like a tracked entity's and mean something else, and what confirms that a
short or common name means the entity: what a reader of Korean business news knows.

Samsung, LG and SK are groups of dozens of listed companies. "Samsung Biologics expands its
antibody plant" is not news about Samsung Electronics, nor "LG Energy Solution" about LG
Electronics: those companies are known here as namesakes, so the longer name is read whole
and the tracked company is not matched inside it.

Short abbreviations (MS, LG) and names that are ordinary words (Gates, Alphabet, Mach 1)
mean the tracked entity only with something in the item that says so (see
``slackbot.core.mentions``): another name the item gives in full, one of the entity's
people or products, a word of its business, or, for an abbreviation, a Korean headline,
where MS and LG are how outlets write Microsoft and LG Electronics."""

from __future__ import annotations

# Companies of the Samsung, LG and SK groups (and a few others) that are not tracked, in
# English and in Korean as outlets write them.
GROUP_COMPANIES: tuple[str, ...] = (
    "Samsung Biologics",
    "Samsung Bioepis",
    "Samsung SDI",
    "Samsung SDS",
    "Samsung Heavy Industries",
    "Samsung Heavy",
    "Samsung C&T",
    "Samsung Life",
    "Samsung Life Insurance",
    "Samsung Fire & Marine",
    "Samsung Fire & Marine Insurance",
    "Samsung Electro-Mechanics",
    "Samsung Display",
    "Samsung Securities",
    "Samsung Engineering",
    "Samsung E&A",
    "Samsung Card",
    "Samsung Lions",
    "LG Display",
    "LG Energy Solution",
    "LG Chem",
    "LG Uplus",
    "LG U+",
    "LG Innotek",
    "LG Household & Health Care",
    "LG H&H",
    "LG CNS",
    "LG Corp",
    "LG Twins",
    "SK On",
    "SK Innovation",
    "SK Square",
    "SK Bioscience",
    "SK Biopharmaceuticals",
    "SK Inc",
    "SK Siltron",
    "SK Networks",
    "SK Chemicals",
    "SK E&S",
    "SK Ecoplant",
    "SK Broadband",
    "SK Gas",
    "SK Wyverns",
    "Gates Foundation",
    "Bill & Melinda Gates Foundation",
    "삼성바이오로직스",
    "삼성바이오에피스",
    "삼성SDI",
    "삼성SDS",
    "삼성중공업",
    "삼성물산",
    "삼성생명",
    "삼성화재",
    "삼성전기",
    "삼성디스플레이",
    "삼성증권",
    "삼성엔지니어링",
    "삼성E&A",
    "삼성카드",
    "LG디스플레이",
    "LG에너지솔루션",
    "LG엔솔",
    "LG화학",
    "LG유플러스",
    "LG이노텍",
    "LG생활건강",
    "LG CNS",
    "SK온",
    "SK이노베이션",
    "SK스퀘어",
    "SK바이오사이언스",
    "SK바이오팜",
    "SK실트론",
    "SK네트웍스",
    "SK케미칼",
    "SK에코플랜트",
    "SK브로드밴드",
    "SK가스",
    "SK E&S",
)

# Names that are ordinary words: they mean the entity only beside one of its own people,
# products or company, or a word of its business.
COMMON_WORD_NAMES = frozenset({"gates", "alphabet", "mach 1", "mach 2", "mach1", "mach2"})

# An abbreviation of this many letters or fewer (MS, LG) is short enough to mean many things.
SHORT_ABBREVIATION = 2

# Words that, in the same item, say a short or common name means the entity.
CONFIRMING_WORDS: dict[str, tuple[str, ...]] = {
    "microsoft": (
        "azure",
        "copilot",
        "windows",
        "openai",
        "xbox",
        "bing",
        "teams",
        "office",
        "cloud",
        "애저",
        "코파일럿",
        "윈도",
    ),
    "lg-electronics": (
        "tv",
        "tvs",
        "oled tv",
        "webos",
        "appliance",
        "appliances",
        "thinq",
        "gram",
        "가전",
    ),
    "bill-gates": ("microsoft", "co-founder", "cofounder", "billionaire", "philanthropist"),
    "google": ("inc", "earnings", "shares", "stock", "cloud", "quarter"),
    "mach-1": ("ai chip", "accelerator", "inference", "samsung"),
    "mach-2": ("ai chip", "accelerator", "inference", "samsung"),
}
