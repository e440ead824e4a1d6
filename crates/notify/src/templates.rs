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
        id: "dunning",
        version: 1,
        channel: ChannelKind::Email,
        subject: "((urzad)): upomnienie nr ((numer))",
        body: "Dzień dobry,\n\nw załączniku przesyłamy upomnienie nr ((numer)) wzywające do zapłaty \
               ((kwota)) (należność z odsetkami na dzień wystawienia i koszty upomnienia) w \
               terminie 7 dni od dnia doręczenia. Sposób zapłaty i pouczenie są w upomnieniu.\n\n\
               Jeśli już zapłaciłeś, zignoruj tę wiadomość.\n((urzad))",
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
    // Account e-mails: transactional, sent to the address the account was registered with
    // (no consent needed). ((link)) carries a one-time token: the message is redacted once
    // sent (see `account_mail`).
    Template {
        id: "account_verify_email",
        version: 1,
        channel: ChannelKind::Email,
        subject: "((urzad)): potwierdź swój adres e-mail",
        body: "Dzień dobry,\n\nw serwisie e-usług ((urzad)) założono konto z tym adresem e-mail. \
               Aby potwierdzić, że adres należy do Ciebie, otwórz link:\n\n((link))\n\n\
               Link działa jeden raz i po pewnym czasie wygasa; nowy możesz zamówić po \
               zalogowaniu.\nJeśli to nie Ty zakładałeś konto, zignoruj tę wiadomość.\n\n\
               Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n((urzad))",
    },
    Template {
        id: "account_reset_password",
        version: 1,
        channel: ChannelKind::Email,
        subject: "((urzad)): ustaw nowe hasło",
        body: "Dzień dobry,\n\notrzymaliśmy prośbę o ustawienie nowego hasła do Twojego konta \
               w serwisie e-usług ((urzad)). Aby ustawić nowe hasło, otwórz link:\n\n((link))\n\n\
               Link działa jeden raz i wygasa po krótkim czasie; zawsze działa tylko ostatni \
               wysłany link. Po zmianie hasła wylogujemy Cię ze wszystkich urządzeń.\n\
               Jeśli to nie Ty prosiłeś o zmianę hasła, zignoruj tę wiadomość — Twoje \
               obecne hasło pozostaje bez zmian.\n\n\
               Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n((urzad))",
    },
];

/// The current template of `id` for `channel`.
pub fn find(id: &str, channel: ChannelKind) -> Option<&'static Template> {
    TEMPLATES
        .iter()
        .filter(|t| t.id == id && t.channel == channel)
        .max_by_key(|t| t.version)
}

/// The template a message is rendered from: the tenant's own wording when it has a higher
/// version than the platform's, else the platform's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub id: String,
    pub version: i32,
    pub subject: String,
    pub body: String,
}

pub fn resolve(
    overrides: &[wspolnota_core::tenant::TemplateOverride],
    id: &str,
    channel: ChannelKind,
) -> Option<Resolved> {
    let platform = find(id, channel).map(|t| Resolved {
        id: t.id.to_owned(),
        version: t.version,
        subject: t.subject.to_owned(),
        body: t.body.to_owned(),
    });
    let tenant = overrides
        .iter()
        .filter(|o| o.id == id && o.channel == channel.as_str())
        .max_by_key(|o| o.version)
        .map(|o| Resolved {
            id: o.id.clone(),
            version: o.version,
            subject: o.subject.clone(),
            body: o.body.clone(),
        });
    match (platform, tenant) {
        (Some(p), Some(t)) => Some(if t.version > p.version { t } else { p }),
        (p, t) => t.or(p),
    }
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
    template: &Resolved,
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
            template: template.id.clone(),
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
        let t = resolve(&[], "payment_posted", ChannelKind::Sms).unwrap();
        let values: HashMap<&str, String> = [
            ("urzad", "UM Zamość".to_owned()),
            ("kwota", "123,45 zł".to_owned()),
            ("do_zaplaty", "0,00 zł".to_owned()),
        ]
        .into();
        assert_eq!(
            render(&t, &t.body, &values).unwrap(),
            "UM Zamość: zaksiegowano wplate 123,45 zł. Do zaplaty: 0,00 zł."
        );
        let err = render(&t, &t.body, &HashMap::new()).unwrap_err();
        assert_eq!(err.field, "urzad");
    }

    #[test]
    fn a_tenant_wording_with_a_higher_version_wins() {
        let own = wspolnota_core::tenant::TemplateOverride {
            id: "payment_posted".into(),
            channel: "sms".into(),
            version: 2,
            subject: String::new(),
            body: "((urzad)): dziekujemy za wplate ((kwota)).".into(),
        };
        let t = resolve(
            std::slice::from_ref(&own),
            "payment_posted",
            ChannelKind::Sms,
        )
        .unwrap();
        assert_eq!((t.version, t.body.as_str()), (2, own.body.as_str()));
        let older = wspolnota_core::tenant::TemplateOverride { version: 1, ..own };
        let t = resolve(&[older], "payment_posted", ChannelKind::Sms).unwrap();
        assert!(t.body.contains("zaksiegowano"));
    }

    #[test]
    fn each_kind_has_an_email_template() {
        for id in [
            "payment_posted",
            "reminder",
            "account_verify_email",
            "account_reset_password",
        ] {
            assert!(find(id, ChannelKind::Email).is_some(), "{id}");
        }
    }
}
