//! CloudFormation's naming rule for the templates orgpool writes (Billing
//! Conductor resources, the replayed OUs and policies).

/// `Prefix` + index + the name's letters and digits: unique, alphanumeric,
/// at most 255 characters, as CloudFormation requires of logical IDs
/// (CloudFormation User Guide, "Resources": "The logical ID must be
/// alphanumeric (A-Za-z0-9) and unique within the template").
pub fn logical_id(prefix: &str, index: usize, name: &str) -> String {
    let alnum: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(200)
        .collect();
    format!("{prefix}{index}{alnum}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_logical_id_keeps_letters_and_digits_after_its_index() {
        assert_eq!(super::logical_id("Ou", 3, "Prod / EU-1"), "Ou3ProdEU1");
        assert_eq!(super::logical_id("Policy", 0, "ü"), "Policy0");
        assert_eq!(super::logical_id("P", 1, &"x".repeat(300)).len(), 202);
    }
}
