"""backtest -- what a policy would have done to an archive of mail (``postwarden backtest``).

sources  the messages of an mbox, a Maildir, a directory of .eml files or a Postfix queue
judge    one message through the milter's scanner and decision (recipients refused at RCPT
         gone first, as in the milter), reduced to an Outcome
tally    the aggregate: counts, bounded top lists and samples; the ``--json`` document
run      all sources on all cores, streaming, in source order
report   the document as text and as a self-contained HTML file

Nothing here keeps or prints message text or unmasked values.
"""
