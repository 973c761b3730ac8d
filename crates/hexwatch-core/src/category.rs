//! Crime and ASB categories.

/// Index of a category in an [`crate::IncidentTable`]'s category list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryId(pub u16);

impl CategoryId {
    /// The index as `usize`, for per-category arrays.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A category as police.uk names it (`Anti-social behaviour`) with its URL slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Category {
    /// The name as written in the source (`Crime type` column), e.g. `Violence and sexual offences`.
    pub name: String,
    /// The slug used in URLs and tile properties, e.g. `violent-crime`.
    pub slug: String,
}

impl Category {
    /// A category from its police.uk name; the slug comes from [`police_uk_slug`].
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        Self { name: name.to_owned(), slug: police_uk_slug(name) }
    }

    /// The tile property holding this category's count: `count_` + slug with `-` as `_`.
    #[must_use]
    pub fn property(&self) -> String {
        format!("count_{}", self.slug.replace('-', "_"))
    }
}

/// The fourteen street-level crime types of data.police.uk and the slugs of the police.uk
/// API (`/api/crime-categories`), so links made by analysts read the same in both.
const POLICE_UK_TYPES: [(&str, &str); 14] = [
    ("Anti-social behaviour", "anti-social-behaviour"),
    ("Bicycle theft", "bicycle-theft"),
    ("Burglary", "burglary"),
    ("Criminal damage and arson", "criminal-damage-arson"),
    ("Drugs", "drugs"),
    ("Other theft", "other-theft"),
    ("Possession of weapons", "possession-of-weapons"),
    ("Public order", "public-order"),
    ("Robbery", "robbery"),
    ("Shoplifting", "shoplifting"),
    ("Theft from the person", "theft-from-the-person"),
    ("Vehicle crime", "vehicle-crime"),
    ("Violence and sexual offences", "violent-crime"),
    ("Other crime", "other-crime"),
];

/// The slug of a category name: the police.uk API slug for the fourteen street crime types,
/// otherwise the name lower-cased with runs of other characters as `-` (so an unknown type
/// is kept with its own text and still gets a usable slug).
///
/// ```
/// assert_eq!(hexwatch_core::police_uk_slug("Violence and sexual offences"), "violent-crime");
/// assert_eq!(hexwatch_core::police_uk_slug("Hate crime (racial)"), "hate-crime-racial");
/// ```
#[must_use]
pub fn police_uk_slug(name: &str) -> String {
    police_uk_slug_inner(name)
}

/// The police.uk crime type whose slug or name is `text` (case-insensitive), as police.uk
/// writes the name: `anti-social-behaviour` and `Anti-Social Behaviour` both give
/// `Anti-social behaviour`. `None` for anything else.
#[must_use]
pub fn police_uk_name(text: &str) -> Option<&'static str> {
    let t = text.trim();
    POLICE_UK_TYPES
        .iter()
        .find(|(name, slug)| name.eq_ignore_ascii_case(t) || slug.eq_ignore_ascii_case(t))
        .map(|(name, _)| *name)
}

fn police_uk_slug_inner(name: &str) -> String {
    let trimmed = name.trim();
    if let Some((_, slug)) = POLICE_UK_TYPES.iter().find(|(n, _)| n.eq_ignore_ascii_case(trimmed)) {
        return (*slug).to_owned();
    }
    let mut slug = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() { "uncategorised".to_owned() } else { slug }
}
