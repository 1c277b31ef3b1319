"""Fill the .po catalogs from `locales/translations/<lang>.tsv` (msgid TAB translation; plurals as
`one|||other`). Untranslated strings stay empty and fall back to English.

Usage: python scripts/fill_catalogs.py   (then `make catalogs`)
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "locales"


def main() -> None:
    for table in sorted((ROOT / "translations").glob("*.tsv")):
        language = table.stem
        translations: dict[str, str] = {}
        for line in table.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                source, _tab, target = line.partition("\t")
                translations[source] = target
        po_path = ROOT / language / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=language)
        filled = 0
        for message in catalog:
            key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
            target = translations.get(key, "")
            if not key or not target:
                continue
            if isinstance(message.id, tuple):
                forms = target.split("|||")
                message.string = tuple(
                    forms[min(i, len(forms) - 1)] for i in range(catalog.num_plurals)
                )
            else:
                message.string = target
            filled += 1
        with po_path.open("wb") as f:
            write_po(f, catalog, width=100)
        print(f"{language}: {filled} of {len(catalog)} strings translated")


if __name__ == "__main__":
    main()
