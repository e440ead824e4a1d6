//! Message templates: Polish text with `((placeholder))` fields, one per kind and channel,
//! versioned — each message records the template and version it was rendered from, so a
//! changed wording never rewrites what was sent.

use std::collections::HashMap;

use crate::channel::ChannelKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: &'static str,
    pub version: i32,
    pub channel: ChannelKind,
    pub subject: &'static str,
    pub body: &'static str,
}

/// The platform's templates. An SMS says that a payment was posted and the balance — never
/// the party's tax details (data minimisation).
pub const TEMPLATES: &[Template] = &[
    Template {
        id: "payment_posted",
        version: 1,
        channel: ChannelKind::Email,
        subject: "((urzad)): zaksięgowaliśmy Twoją wpłatę",
        body: "Dzień dobry,\n\n((urzad)) zaksięgował wpłatę ((kwota)) z dnia ((data)).\n\
               ((rozliczenie))\n\nStan Twojego konta na dzień ((dzis)):\n\
               - do zapłaty: ((do_zaplaty))\n- w tym po terminie: ((zalegle))\n\
               - odsetki na dziś: ((odsetki))\n- nadpłata: ((nadplata))\n\n\
               Szczegóły zobaczysz po zalogowaniu na stronie urzędu.\n\n\
               Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n((urzad))",
    },
    Template {
        id: "payment_posted",
        version: 1,
        channel: ChannelKind::Sms,
        subject: "",
        body: "((urzad)): zaksiegowano wplate ((kwota)). Do zaplaty: ((do_zaplaty)).",
    },
    Template {
        id: "reminder",
        version: 1,
        channel: ChannelKind::Email,
        subject: "((urzad)): przypomnienie o terminie płatności ((termin))",
        body: "Dzień dobry,\n\nprzypominamy, że ((termin)) mija termin płatności: ((tytul)), \
               do zapłaty ((kwota)).\nNumer rachunku do wpłaty: ((rachunek)).\n\n\
               Jeśli już zapłaciłeś, zignoruj tę wiadomość.\n((urzad))",
    },
    Template {
        id: "reminder",
        version: 1,
        channel: ChannelKind::Sms,
        subject: "",
        body: "((urzad)): ((termin)) mija termin platnosci ((kwota)). Rachunek: ((rachunek)).",
    },
    Template {
        id: "reminder",
        version: 1,
        channel: ChannelKind::Voice,
        subject: "",
        body: "Dzień dobry, tu ((urzad)). Przypominamy, że ((termin)) mija termin płatności \
               kwoty ((kwota)). Dziękujemy.",
    },
];

/// The current template of `id` for `channel`.
pub fn find(id: &str, channel: ChannelKind) -> Option<&'static Template> {
    TEMPLATES
        .iter()
        .filter(|t| t.id == id && t.channel == channel)
        .max_by_key(|t| t.version)
}

/// A placeholder the data did not fill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {template} v{version}: no value for (({field}))")]
pub struct MissingField {
    pub template: String,
    pub version: i32,
    pub field: String,
}

/// Fills `((name))` fields; every field must have a value.
pub fn render(
    template: &Template,
    text: &str,
    values: &HashMap<&str, String>,
) -> Result<String, MissingField> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find("((") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("))") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let field = &after[..end];
        let value = values.get(field).ok_or_else(|| MissingField {
            template: template.id.to_owned(),
            version: template.version,
            field: field.to_owned(),
        })?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_template_renders_with_its_fields_and_names_a_missing_one() {
        let t = find("payment_posted", ChannelKind::Sms).unwrap();
        let values: HashMap<&str, String> = [
            ("urzad", "UM Zamość".to_owned()),
            ("kwota", "123,45 zł".to_owned()),
            ("do_zaplaty", "0,00 zł".to_owned()),
        ]
        .into();
        assert_eq!(
            render(t, t.body, &values).unwrap(),
            "UM Zamość: zaksiegowano wplate 123,45 zł. Do zaplaty: 0,00 zł."
        );
        let err = render(t, t.body, &HashMap::new()).unwrap_err();
        assert_eq!(err.field, "urzad");
    }

    #[test]
    fn each_kind_has_an_email_template() {
        for id in ["payment_posted", "reminder"] {
            assert!(find(id, ChannelKind::Email).is_some(), "{id}");
        }
    }
}
