from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.products.services import parse_money

REQUIRED = _l("This field is required.")


class MoneyField(StringField):
    """An amount in roubles typed the Russian way (12 345,50); `.kopecks` holds the parsed value."""

    kopecks = None

    def pre_validate(self, form):
        self.kopecks = parse_money(self.data)
        if self.data and self.kopecks is None:
            raise ValidationError(_l("Enter an amount in roubles, for example 12 345,50."))


class ProductForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(REQUIRED), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)],
                          description=_l("Optional: English readers see the Russian name when empty."))
    category = StringField(_l("Category"), validators=[DataRequired(REQUIRED), Length(max=100)])
    list_price = MoneyField(_l("List price, RUB"), validators=[DataRequired(REQUIRED)])
    cost = MoneyField(_l("Cost, RUB"), validators=[DataRequired(REQUIRED)],
                      description=_l("What the product costs the vendor: margin rules reward price minus cost."))
    active = BooleanField(_l("In the program"), default=True)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("Columns: sku, name, category, list_price, cost, active, and optionally "
                                    "name_en, the English name (Russian headers work too)."))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
