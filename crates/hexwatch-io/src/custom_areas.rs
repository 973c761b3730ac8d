//! Custom areas loaded by users (beats, PSPO zones, night-time-economy zones): read from
//! GeoJSON in WGS84 or British National Grid, invalid polygons repaired or rejected with a
//! reason, and kept in the store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use geo::{Area as _, BooleanOps, MakeValid, MultiPolygon, Validation};
use hexwatch_core::{Area, AreaSet};
use rusqlite::{OptionalExtension, params};

use crate::bng::BngProjector;
use crate::boundary_file::{
    BoundaryCollection, BoundaryFileError, SourceCrs, both_systems, property_text, source_polygons,
};
use crate::store::{Store, StoreError};

/// Properties tried for an area's name when none is given.
pub const DEFAULT_NAME_PROPERTIES: [&str; 3] = ["name", "NAME", "Name"];
/// Properties tried for an area's code when none is given.
pub const DEFAULT_CODE_PROPERTIES: [&str; 3] = ["code", "CODE", "Code"];

/// How to read a custom area file.
#[derive(Debug, Clone, Default)]
pub struct CustomAreaOptions {
    /// Property holding each area's name (default: the first of `name`, `NAME`, `Name`
    /// present; without one, the code).
    pub name_property: Option<String>,
    /// Property holding each area's code (default: the first of `code`, `CODE`, `Code`
    /// present; without one, the name).
    pub code_property: Option<String>,
}

/// A feature that was repaired on reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// Zero-based feature index.
    pub index: usize,
    /// The area's name.
    pub name: String,
    /// What was wrong (geo's validation message).
    pub problem: String,
    /// The result: parts and area before and after.
    pub result: String,
}

/// A feature that was not added, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRejection {
    /// Zero-based feature index.
    pub index: usize,
    /// The area's name, when it had one.
    pub name: Option<String>,
    /// The property at fault, when the reason is about one.
    pub property: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// The areas of a custom area file, with what was repaired and rejected:
/// `read == areas.len() + rejected.len()`.
#[derive(Debug)]
pub struct CustomAreaFile {
    /// The file.
    pub path: PathBuf,
    /// Its coordinate reference system.
    pub crs: SourceCrs,
    /// The `crs` member's name as found, if any.
    pub crs_name: Option<String>,
    /// Features read.
    pub read: usize,
    /// Areas accepted, in file order (repaired ones included).
    pub areas: Vec<Area>,
    /// Features repaired (among `areas`).
    pub repaired: Vec<Repair>,
    /// Features rejected.
    pub rejected: Vec<FeatureRejection>,
}

impl CustomAreaFile {
    /// Whether `read == added + rejected`.
    #[must_use]
    pub fn adds_up(&self) -> bool {
        self.read == self.areas.len() + self.rejected.len()
    }

    /// Reads a GeoJSON FeatureCollection of (Multi)Polygons in WGS84 (no `crs` member, or
    /// CRS84/EPSG:4326) or British National Grid (`crs` naming EPSG:27700). Each feature
    /// becomes an area or a rejection: invalid polygons (self-intersections, rings that
    /// cross, …; OGC rules as geo's `Validation` checks them) are repaired with geo's
    /// `MakeValid` (Ledoux et al. 2014, odd-even rule) in the file's own coordinates and
    /// reported; features without a name or code, with no, empty or non-polygonal geometry,
    /// whose repair fails or leaves no area, or whose name repeats an earlier one are
    /// rejected with the reason.
    ///
    /// # Errors
    /// [`BoundaryFileError`] for a file that cannot be read, is not a FeatureCollection,
    /// or whose `crs` names another system (the message names the file and the crs).
    pub fn read(path: &Path, options: &CustomAreaOptions) -> Result<Self, BoundaryFileError> {
        let collection = BoundaryCollection::read(path)?;
        let projector = BngProjector::new();
        let mut file = Self {
            path: path.to_path_buf(),
            crs: collection.crs,
            crs_name: collection.crs_name.clone(),
            read: collection.features.len(),
            areas: Vec::new(),
            repaired: Vec::new(),
            rejected: Vec::new(),
        };
        let mut names: HashMap<String, usize> = HashMap::new();
        for (index, feature) in collection.features.iter().enumerate() {
            match read_feature(feature, index, &collection, options, &projector) {
                Ok((area, repair)) => {
                    if let Some(first) = names.get(&area.name) {
                        file.rejected.push(FeatureRejection {
                            index,
                            property: None,
                            reason: format!("duplicate name {:?}: feature {first} already has it", area.name),
                            name: Some(area.name),
                        });
                        continue;
                    }
                    names.insert(area.name.clone(), index);
                    file.repaired.extend(repair);
                    file.areas.push(area);
                }
                Err(rejection) => file.rejected.push(rejection),
            }
        }
        Ok(file)
    }
}

/// The first property of `explicit` (or of `defaults` when none is given) that the feature
/// has, with its value.
fn pick_property(
    feature: &geojson::Feature,
    explicit: Option<&str>,
    defaults: &[&str],
) -> (Option<String>, Option<String>) {
    match explicit {
        Some(key) => (Some(key.to_owned()), property_text(feature, key)),
        None => defaults
            .iter()
            .find_map(|key| property_text(feature, key).map(|v| (Some((*key).to_owned()), Some(v))))
            .unwrap_or((None, None)),
    }
}

fn read_feature(
    feature: &geojson::Feature,
    index: usize,
    collection: &BoundaryCollection,
    options: &CustomAreaOptions,
    projector: &BngProjector,
) -> Result<(Area, Option<Repair>), FeatureRejection> {
    let (name_key, name) = pick_property(feature, options.name_property.as_deref(), &DEFAULT_NAME_PROPERTIES);
    let (code_key, code) = pick_property(feature, options.code_property.as_deref(), &DEFAULT_CODE_PROPERTIES);
    let reject = |property: Option<String>, reason: String, name: Option<String>| FeatureRejection {
        index,
        name,
        property,
        reason,
    };
    if let (Some(key), None) = (&options.name_property, &name) {
        return Err(reject(Some(key.clone()), format!("no value in property {key:?}"), code));
    }
    if let (Some(key), None) = (&options.code_property, &code) {
        return Err(reject(Some(key.clone()), format!("no value in property {key:?}"), name));
    }
    let (name, code) = match (name, code) {
        (Some(n), Some(c)) => (n, c),
        (Some(n), None) => (n.clone(), n),
        (None, Some(c)) => (c.clone(), c),
        (None, None) => {
            return Err(reject(
                name_key.or(code_key),
                format!(
                    "no name: none of the properties {} is present; pass --name-property",
                    DEFAULT_NAME_PROPERTIES
                        .iter()
                        .chain(&DEFAULT_CODE_PROPERTIES)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
            ));
        }
    };
    let polygons = source_polygons(feature, collection.crs)
        .map_err(|reason| reject(Some("geometry".into()), reason, Some(name.clone())))?;
    let (polygons, repair) = match polygons.check_validation() {
        Ok(()) => (polygons, None),
        Err(problem) => {
            let problem = problem.to_string();
            let fixed = repair(&polygons).map_err(|e| {
                reject(
                    Some("geometry".into()),
                    format!("invalid ({problem}) and cannot be repaired: {e}"),
                    Some(name.clone()),
                )
            })?;
            if fixed.0.is_empty() || fixed.unsigned_area() <= 0.0 || !fixed.is_valid() {
                return Err(reject(
                    Some("geometry".into()),
                    format!("invalid ({problem}) and the repair leaves no valid area"),
                    Some(name.clone()),
                ));
            }
            // Areas on the British National Grid plane, whatever the file's system.
            let km2 = |mp: &MultiPolygon<f64>| {
                both_systems(mp.clone(), collection.crs, projector)
                    .map_or(f64::NAN, |(_, bng)| bng.unsigned_area() / 1e6)
            };
            let result = format!(
                "{} polygon(s) of {:.6} km² as drawn → {} valid polygon(s) of {:.6} km²",
                polygons.0.len(),
                km2(&polygons),
                fixed.0.len(),
                km2(&fixed)
            );
            (fixed, Some(Repair { index, name: name.clone(), problem, result }))
        }
    };
    if polygons.unsigned_area() <= 0.0 {
        return Err(reject(Some("geometry".into()), "the polygon has no area".into(), Some(name)));
    }
    let (wgs84, bng) = both_systems(polygons, collection.crs, projector)
        .map_err(|e| reject(Some("geometry".into()), e.to_string(), Some(name.clone())))?;
    Ok((Area { code, name, boundary_bng: bng, boundary_wgs84: wgs84 }, repair))
}

/// Repairs each polygon with `MakeValid` (odd-even rule: a bowtie becomes its two
/// triangles), then unions the parts (so overlapping parts of a MultiPolygon merge rather
/// than cancel, as the odd-even rule over the whole would make them).
fn repair(
    polygons: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, geo::algorithm::repair_polygon::RepairPolygonError> {
    let mut union = MultiPolygon::new(Vec::new());
    for polygon in polygons {
        let fixed = polygon.make_valid()?;
        union = if union.0.is_empty() { fixed } else { union.union(&fixed) };
    }
    Ok(union)
}

/// Why a custom area set could not be stored or found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AreaSetError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A set name that cannot be used in `area=custom:<set>/<name>` or `?set=`.
    #[error(
        "invalid set name {name:?}: use 1 to 64 letters, digits, '-' or '_', starting with a letter or digit, \
         other than {reserved}"
    )]
    InvalidName {
        /// The name given.
        name: String,
        /// The names reserved for the built-in sets.
        reserved: &'static str,
    },
    /// A set of this name is already stored.
    #[error("area set {name:?} already exists: remove it first (hexwatch areas remove --set {name})")]
    Exists {
        /// The name given.
        name: String,
    },
    /// A set file with no area to add.
    #[error("{}: no area to add ({rejected} feature(s) rejected)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// Features rejected.
        rejected: usize,
    },
    /// A stored geometry that this build cannot read.
    #[error("store: area set {set:?}, area {ordinal}: {reason}")]
    Corrupt {
        /// The set.
        set: String,
        /// The area's position in the set.
        ordinal: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Names that custom sets cannot take: the built-in sets and `area=` keywords.
const RESERVED: [&str; 5] = ["ward", "lsoa", "bcp", "all", "custom"];

/// Checks a custom set name.
///
/// # Errors
/// [`AreaSetError::InvalidName`].
pub fn check_set_name(name: &str) -> Result<(), AreaSetError> {
    let ok = (1..=64).contains(&name.len())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !RESERVED.contains(&name.to_ascii_lowercase().as_str());
    if ok {
        Ok(())
    } else {
        Err(AreaSetError::InvalidName { name: name.to_owned(), reserved: "ward, lsoa, bcp, all, custom" })
    }
}

/// A stored custom area set, as `hexwatch areas list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSetInfo {
    /// The set's name.
    pub name: String,
    /// The file it was read from.
    pub source_file: String,
    /// That file's coordinate reference system.
    pub source_crs: String,
    /// Point-in-polygon tolerance, metres.
    pub tolerance_m: f64,
    /// Number of areas.
    pub areas: u64,
    /// Total area of the set's polygons, km² (British National Grid plane).
    pub area_km2: f64,
    /// When it was added (UTC, ISO 8601).
    pub added_at: String,
}

fn geometry_text(polygons: &MultiPolygon<f64>) -> String {
    geojson::Geometry::from(geojson::GeometryValue::from(polygons)).to_string()
}

fn parse_geometry(text: &str) -> Result<MultiPolygon<f64>, String> {
    let geometry: geojson::Geometry = text.parse().map_err(|e: geojson::Error| e.to_string())?;
    match geo::Geometry::<f64>::try_from(&geometry.value).map_err(|e| e.to_string())? {
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        geo::Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        _ => Err("not a (Multi)Polygon".to_owned()),
    }
}

impl Store {
    /// Stores the areas of `file` as the custom set `name` with a point-in-polygon
    /// tolerance in metres, in one transaction.
    ///
    /// # Errors
    /// [`AreaSetError::InvalidName`], [`AreaSetError::Exists`], [`AreaSetError::Empty`]
    /// (nothing stored), [`AreaSetError::Store`].
    pub fn add_area_set(
        &mut self,
        name: &str,
        file: &CustomAreaFile,
        options: &CustomAreaOptions,
        tolerance_m: f64,
    ) -> Result<(), AreaSetError> {
        check_set_name(name)?;
        if file.areas.is_empty() {
            return Err(AreaSetError::Empty { path: file.path.clone(), rejected: file.rejected.len() });
        }
        let tolerance_m = if tolerance_m.is_finite() { tolerance_m.max(0.0) } else { 0.0 };
        let exists: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM area_sets WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql_error(e))?;
        if exists.is_some() {
            return Err(AreaSetError::Exists { name: name.to_owned() });
        }
        let path = self.path().to_path_buf();
        let sql = |cause| StoreError::Sqlite { path: path.clone(), cause };
        let tx = crate::store::write_transaction(&mut self.conn).map_err(sql)?;
        tx.execute(
            "INSERT INTO area_sets (name, source_file, source_crs, tolerance_m, name_property, code_property) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                name,
                file.path.display().to_string(),
                file.crs_name.clone().unwrap_or_else(|| file.crs.as_str().to_owned()),
                tolerance_m,
                options.name_property,
                options.code_property,
            ],
        )
        .map_err(sql)?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO areas (set_name, ordinal, code, name, geometry_wgs84, geometry_bng, area_km2) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(sql)?;
            for (ordinal, area) in file.areas.iter().enumerate() {
                insert
                    .execute(params![
                        name,
                        i64::try_from(ordinal).unwrap_or(i64::MAX),
                        area.code,
                        area.name,
                        geometry_text(&area.boundary_wgs84),
                        geometry_text(&area.boundary_bng),
                        area.area_km2(),
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(())
    }

    /// The stored custom sets, by name.
    ///
    /// # Errors
    /// [`AreaSetError::Store`].
    pub fn area_sets(&self) -> Result<Vec<AreaSetInfo>, AreaSetError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.name, s.source_file, s.source_crs, s.tolerance_m, s.added_at, \
                        COUNT(a.ordinal), COALESCE(SUM(a.area_km2), 0) \
                 FROM area_sets s LEFT JOIN areas a ON a.set_name = s.name \
                 GROUP BY s.name ORDER BY s.name",
            )
            .map_err(|e| self.sql_error(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AreaSetInfo {
                    name: r.get(0)?,
                    source_file: r.get(1)?,
                    source_crs: r.get(2)?,
                    tolerance_m: r.get(3)?,
                    added_at: r.get(4)?,
                    areas: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                    area_km2: r.get(6)?,
                })
            })
            .map_err(|e| self.sql_error(e))?;
        Ok(rows.collect::<Result<_, _>>().map_err(|e| self.sql_error(e))?)
    }

    /// Removes the custom set `name` and its areas; `false` when there was none.
    ///
    /// # Errors
    /// [`AreaSetError::Store`].
    pub fn remove_area_set(&mut self, name: &str) -> Result<bool, AreaSetError> {
        let path = self.path().to_path_buf();
        let sql = |cause| StoreError::Sqlite { path: path.clone(), cause };
        let tx = crate::store::write_transaction(&mut self.conn).map_err(sql)?;
        tx.execute("DELETE FROM areas WHERE set_name = ?1", [name]).map_err(sql)?;
        let removed = tx.execute("DELETE FROM area_sets WHERE name = ?1", [name]).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(removed > 0)
    }

    /// Every stored custom set as an [`AreaSet`] with its tolerance, sets by name and
    /// areas in file order.
    ///
    /// # Errors
    /// [`AreaSetError::Store`]; [`AreaSetError::Corrupt`] for a geometry this build cannot read.
    pub fn load_area_sets(&self) -> Result<Vec<AreaSet>, AreaSetError> {
        let mut sets = Vec::new();
        for info in self.area_sets()? {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT ordinal, code, name, geometry_wgs84, geometry_bng FROM areas \
                     WHERE set_name = ?1 ORDER BY ordinal",
                )
                .map_err(|e| self.sql_error(e))?;
            let rows = stmt
                .query_map([&info.name], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(|e| self.sql_error(e))?;
            let mut areas = Vec::new();
            for row in rows {
                let (ordinal, code, name, wgs84, bng) = row.map_err(|e| self.sql_error(e))?;
                let corrupt =
                    |reason: String| AreaSetError::Corrupt { set: info.name.clone(), ordinal, reason };
                let boundary_wgs84 =
                    parse_geometry(&wgs84).map_err(|e| corrupt(format!("geometry_wgs84: {e}")))?;
                let boundary_bng = parse_geometry(&bng).map_err(|e| corrupt(format!("geometry_bng: {e}")))?;
                areas.push(Area {
                    code: code.unwrap_or_else(|| name.clone()),
                    name,
                    boundary_bng,
                    boundary_wgs84,
                });
            }
            sets.push(AreaSet::new(info.name.clone(), areas, info.tolerance_m));
        }
        Ok(sets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn repairs_a_bowtie_and_rejects_an_empty_polygon() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "zones.geojson",
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon","coordinates":[[[-1.90,50.70],[-1.88,50.72],[-1.88,50.70],[-1.90,50.72],[-1.90,50.70]]]}},
              {"type":"Feature","properties":{"name":"empty"},"geometry":{"type":"Polygon","coordinates":[]}},
              {"type":"Feature","properties":{"ref":"x"},"geometry":{"type":"Polygon","coordinates":[[[-1.9,50.7],[-1.8,50.7],[-1.8,50.8],[-1.9,50.7]]]}},
              {"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon","coordinates":[[[-1.9,50.7],[-1.8,50.7],[-1.8,50.8],[-1.9,50.7]]]}}
            ]}"#,
        );
        let file = CustomAreaFile::read(&path, &CustomAreaOptions::default()).unwrap();
        assert!(file.adds_up());
        assert_eq!((file.read, file.areas.len(), file.rejected.len()), (4, 1, 3));
        assert_eq!(file.repaired.len(), 1);
        assert_eq!(file.repaired[0].index, 0);
        assert!(file.repaired[0].problem.contains("self"), "{:?}", file.repaired[0]);
        assert_eq!(file.areas[0].boundary_wgs84.0.len(), 2, "the bowtie becomes two triangles");
        assert!(file.areas[0].boundary_bng.is_valid());
        let reasons: Vec<_> = file.rejected.iter().map(|r| (r.index, r.reason.as_str())).collect();
        assert_eq!(reasons[0], (1, "empty geometry (no coordinates)"));
        assert!(reasons[1].1.starts_with("no name"), "{reasons:?}");
        assert!(reasons[2].1.starts_with("duplicate name \"bow\""), "{reasons:?}");
    }

    #[test]
    fn refuses_an_unknown_crs_naming_the_file_and_the_crs() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "mercator.geojson",
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[]}"#,
        );
        let err = CustomAreaFile::read(&path, &CustomAreaOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("mercator.geojson") && text.contains("urn:ogc:def:crs:EPSG::3857"), "{text}");
    }

    #[test]
    fn a_version_3_store_gains_the_area_tables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        drop(Store::open(&path).unwrap());
        // Back to what a version-3 build (alerts, before custom areas) left: no area tables.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("DROP TABLE areas; DROP TABLE area_sets; PRAGMA user_version = 3;").unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let version: u32 = store.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, crate::SCHEMA_VERSION);
        assert!(store.area_sets().unwrap().is_empty());
    }

    #[test]
    fn stores_lists_loads_and_removes_a_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "beats.geojson",
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"name":"Beat 1","code":"B1"},"geometry":{"type":"Polygon","coordinates":[[[-1.9,50.7],[-1.8,50.7],[-1.8,50.8],[-1.9,50.7]]]}}
            ]}"#,
        );
        let file = CustomAreaFile::read(&path, &CustomAreaOptions::default()).unwrap();
        let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        assert!(matches!(
            store.add_area_set("ward", &file, &CustomAreaOptions::default(), 0.0),
            Err(AreaSetError::InvalidName { .. })
        ));
        store.add_area_set("beats", &file, &CustomAreaOptions::default(), 5.0).unwrap();
        assert!(matches!(
            store.add_area_set("beats", &file, &CustomAreaOptions::default(), 5.0),
            Err(AreaSetError::Exists { .. })
        ));
        let list = store.area_sets().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].name.as_str(), list[0].areas, list[0].tolerance_m), ("beats", 1, 5.0));
        let sets = store.load_area_sets().unwrap();
        assert_eq!(sets[0].areas()[0].code, "B1");
        assert_eq!(sets[0].areas()[0].boundary_bng, file.areas[0].boundary_bng, "stored exactly");
        assert!(store.remove_area_set("beats").unwrap());
        assert!(!store.remove_area_set("beats").unwrap());
        assert!(store.load_area_sets().unwrap().is_empty());
    }
}
