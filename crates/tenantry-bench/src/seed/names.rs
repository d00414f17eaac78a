//! Word lists for realistic-looking people and companies.

pub const FIRST: &[&str] = &[
    "Ann", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal",
    "Lena", "Marta", "Nikos", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Xavier", "Yusuf", "Zoe", "Amélie", "Björn", "Chloé", "Søren", "Łucja", "Ömer",
];

pub const LAST: &[&str] = &[
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Nguyen",
    "Tanaka",
    "Okafor",
    "Silva",
    "Johansson",
    "Ivanova",
    "Haddad",
    "Kim",
    "Patel",
    "O'Brien",
    "van Dijk",
    "López",
    "Novak",
    "Fischer",
    "Moreau",
    "Costa",
    "Yilmaz",
    "Berg",
    "Kaur",
    "Mendes",
    "Walsh",
    "Petrov",
];

pub const COMPANY: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Soylent",
    "Aperture",
    "Massive",
    "Gringotts",
    "Oceanic",
    "Monarch",
];

pub const SITE: &[&str] = &[
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Harbor",
    "Airport",
    "Depot",
    "Plant",
    "Lab",
    "Campus",
    "Tower",
    "Annex",
    "Warehouse",
    "Field",
    "Yard",
];

/// Syllables that make many distinct, pronounceable family names (8,000 combinations), so that
/// equality on a last name selects a realistic handful of a million users.
pub const SYLLABLES: &[&str] = &[
    "ba", "ko", "ri", "men", "sta", "lo", "vi", "dor", "ne", "ka", "sel", "tu", "ma", "fen", "gri",
    "ho", "ja", "lun", "pe", "zo",
];
