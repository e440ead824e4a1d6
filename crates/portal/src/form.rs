//! `application/x-www-form-urlencoded` bodies with repeated fields (`installment=…&installment=…`),
//! which serde's form extractor does not collect.

#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Fields;

    #[test]
    fn repeated_fields_are_kept_in_order() {
        let f = Fields::parse(b"installment=a&csrf=x%2By&installment=b&email=j%40k.pl");
        assert_eq!(f.all("installment").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(f.get("csrf"), "x+y");
        assert_eq!(f.get("email"), "j@k.pl");
        assert_eq!(f.get("missing"), "");
        assert!(!f.has("missing"));
    }
}
