"""mask -- turn a detected value into a sample that is safe to log.

Only the last few characters survive; every other letter or digit becomes `*`, separators stay so
the shape is still recognisable ('*****2333', '**-**-**11').  IBANs keep their country code.

Refuses: nothing; a value shorter than what would be kept is masked completely.
"""

from __future__ import annotations


def mask_tail(value: str, keep: int = 2) -> str:
    """Mask all letters and digits of `value` except the last `keep` ones."""
    if value.isalnum():
        hidden = max(0, len(value) - keep) if len(value) > keep else len(value)
        return "*" * hidden + value[hidden:]
    alnum = sum(1 for c in value if c.isalnum())
    if alnum <= keep:
        keep = 0
    hide = alnum - keep
    out: list[str] = []
    for char in value:
        if char.isalnum() and hide > 0:
            out.append("*")
            hide -= 1
        else:
            out.append(char)
    return "".join(out)


def mask_iban(compact: str) -> str:
    """'NL91ABNA0417164300' -> 'NL** **** **** **** 00': country code and last two kept."""
    groups = [compact[i : i + 4] for i in range(0, len(compact), 4)]
    spaced = " ".join(groups)
    return spaced[:2] + mask_tail(spaced[2:], 2)
