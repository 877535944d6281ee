"""Personal data out of everything walab writes (LGPD): one policy, consistent pseudonyms.

`Redactor` finds CPF and CNPJ (by their check digits), phone numbers as people write them,
e-mail addresses, contact names, CEP and street addresses and card numbers (Luhn), and replaces
each by a pseudonym valid in form. The same value always becomes the same pseudonym under the
same key, so a scenario, its cassette and its snapshot still agree and replay.
"""

from lab.redaction.policy import KINDS, NOTICE, RedactionPolicy, policy_for, policy_of
from lab.redaction.redactor import Redactor

__all__ = ["KINDS", "NOTICE", "RedactionPolicy", "Redactor", "policy_for", "policy_of"]
