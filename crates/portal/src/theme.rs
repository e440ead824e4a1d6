//! The tenant's colours, made safe to use: text on the header colour is black or white,
//! whichever contrasts more (always ≥ 4.5:1), and links use the colour darkened until it
//! reaches 4.5:1 on white (WCAG 2.1, 1.4.3).

use wspolnota_core::tenant::TenantConfig;

const DEFAULT_PRIMARY: (u8, u8, u8) = (0x1d, 0x4f, 0x91);
const DEFAULT_ACCENT: (u8, u8, u8) = (0xb3, 0x5c, 0x00);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Header and buttons.
    pub primary: String,
    /// Text on `primary`.
    pub on_primary: String,
    /// Links and outlines on white (≥ 4.5:1).
    pub link: String,
    /// The focus ring (≥ 3:1 on white, WCAG 1.4.11).
    pub focus: String,
}

fn parse(hex: &str) -> Option<(u8, u8, u8)> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Relative luminance (WCAG 2.1).
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// The contrast ratio of two colours, 1 to 21.
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

const WHITE: (u8, u8, u8) = (255, 255, 255);
const BLACK: (u8, u8, u8) = (0, 0, 0);

/// `color` mixed with black until it contrasts `min` with white.
fn darkened(color: (u8, u8, u8), min: f64) -> (u8, u8, u8) {
    let mut c = color;
    for step in 0..=20u16 {
        let keep = f64::from(20 - step) / 20.0;
        let scale = |v: u8| (f64::from(v) * keep).round().clamp(0.0, 255.0) as u8;
        c = (scale(color.0), scale(color.1), scale(color.2));
        if contrast(c, WHITE) >= min {
            return c;
        }
    }
    c
}

impl Theme {
    pub fn of(config: &TenantConfig) -> Self {
        let primary = config
            .portal
            .primary_color
            .as_deref()
            .or(config.branding.primary_color.as_deref())
            .and_then(parse)
            .unwrap_or(DEFAULT_PRIMARY);
        let accent = config
            .portal
            .accent_color
            .as_deref()
            .and_then(parse)
            .unwrap_or(DEFAULT_ACCENT);
        let on_primary = if contrast(primary, WHITE) >= contrast(primary, BLACK) {
            WHITE
        } else {
            BLACK
        };
        Self {
            primary: hex(primary),
            on_primary: hex(on_primary),
            link: hex(darkened(primary, 4.5)),
            focus: hex(darkened(accent, 3.0)),
        }
    }

    /// The tenant's stylesheet: custom properties the static stylesheet uses.
    pub fn css(&self) -> String {
        format!(
            ":root{{--primary:{};--on-primary:{};--link:{};--focus:{};}}\n",
            self.primary, self.on_primary, self.link, self.focus
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_colour_yields_readable_text_and_links() {
        for raw in [
            "#8a1538", "#ffff00", "#ffffff", "#000000", "#1f5f3a", "#77aaff",
        ] {
            let c = parse(raw).unwrap_or(WHITE);
            let on = if contrast(c, WHITE) >= contrast(c, BLACK) {
                WHITE
            } else {
                BLACK
            };
            assert!(contrast(c, on) >= 4.5, "{raw}");
            assert!(contrast(darkened(c, 4.5), WHITE) >= 4.5, "{raw}");
        }
        assert!((contrast(WHITE, BLACK) - 21.0).abs() < 1e-9);
    }
}
