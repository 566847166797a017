"""Claims from UPD e-invoices: reader.py reads the file (pure parsing, hardened), mapping.py keeps a company's
own articles, importing.py makes a UPD into a claim and compares them, prefill.py fills the claim form,
views.py holds the pages (a blueprint nested in claims')."""
