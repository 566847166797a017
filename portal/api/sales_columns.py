"""The columns of the sales import: the names 1C exports and people write, in Russian and English."""

from flask_babel import lazy_gettext as _l

# Column names as 1C and people write them, in Russian and English, lower case, ё as е.
HEADERS = {
    "invoice_number": ("номер", "номер документа", "номер счета", "номер счета-фактуры", "номер накладной",
                       "документ", "invoice", "invoice number", "invoice_number", "document number", "number"),
    "invoice_date": ("дата", "дата документа", "дата счета", "date", "invoice date", "invoice_date"),
    "seller_email": ("продавец", "менеджер", "ответственный", "e-mail продавца", "email продавца", "seller",
                     "seller email", "seller_email", "manager", "email", "e-mail"),
    "customer_name": ("контрагент", "покупатель", "клиент", "customer", "customer name", "customer_name", "buyer"),
    "customer_inn": ("инн", "инн контрагента", "инн покупателя", "customer inn", "customer_inn", "buyer inn"),
    "sku": ("артикул", "код", "код товара", "sku", "article", "item code"),
    "quantity": ("количество", "кол-во", "кол.", "quantity", "qty"),
    "unit_price": ("цена", "цена за единицу", "price", "unit price", "unit_price"),
    # optional: the lead the sale closes, by the portal's lead number or the partner's own id of the lead
    "lead": ("лид", "номер лида", "id лида", "сделка", "lead", "lead id", "lead_id", "lead_external_id"),
}
REQUIRED = ("invoice_number", "invoice_date", "seller_email", "customer_name", "sku", "quantity", "unit_price")
COLUMN_LABELS = {
    "invoice_number": _l("invoice number"), "invoice_date": _l("date"), "seller_email": _l("seller (e-mail)"),
    "customer_name": _l("customer"), "customer_inn": _l("customer INN"), "sku": _l("SKU"),
    "quantity": _l("quantity"), "unit_price": _l("price"), "lead": _l("lead"),
}
# The template to download: the 1C export's own headers, or the column names in English.
TEMPLATE_HEADERS = {"ru": ["Номер", "Дата", "Продавец", "Контрагент", "ИНН", "Артикул", "Количество", "Цена"],
                    "en": ["invoice_number", "invoice_date", "seller_email", "customer_name", "customer_inn", "sku",
                           "quantity", "unit_price"]}
_ALIASES = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
