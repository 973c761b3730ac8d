//! The monthly partnership pack on the real data (issue 11): the 2025-12 pack for BCP adds
//! up to the figures `/api/meta` and `/api/summary` give for the same filters, says "no
//! data" for 2024, and `hexwatch report` writes the same page and tables as `/api/report`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use serde_json::Value;

mod common;
use common::{Server, data_dir, dorset_store, get, hexwatch_binary, start_server_on};

fn json(server: &Server, path: &str) -> Value {
    let (status, body) = get(&format!("{}{path}", server.base));
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

fn text(server: &Server, path: &str) -> String {
    let (status, body) = get(&format!("{}{path}", server.base));
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    String::from_utf8(body).unwrap()
}

/// The KPI row of a measure label and window.
fn kpi<'a>(pack: &'a Value, label: &str, window: &str) -> &'a Value {
    pack["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == label && r["window"] == window)
        .unwrap_or_else(|| panic!("no KPI {label} {window}"))
}

fn summary_count(server: &Server, query: &str) -> (u64, Vec<(String, u64)>) {
    let s = json(server, &format!("/api/summary?{query}"));
    let by: Vec<(String, u64)> = s["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
        .collect();
    (s["incidents"].as_u64().unwrap(), by)
}

#[test]
fn december_pack_adds_up_to_meta_and_summary_and_the_cli_writes_the_same_pack() {
    let (store, _dir) = dorset_store();
    let store_path = store.path().to_path_buf();
    drop(store);
    let server = start_server_on(&store_path, |_| {});
    let meta = json(&server, "/api/meta");
    let pack = json(&server, "/api/report?period=2025-12&area=bcp&format=json");
    assert_eq!(pack["data_version"], meta["data_version"]);
    assert_eq!((pack["data_first"].as_str(), pack["data_last"].as_str()), (Some("2025-01"), Some("2025-12")));

    // Year to date = every month of the data: all crime in BCP is /api/meta's in_bcp.
    let ytd = kpi(&pack, "All crime", "year_to_date");
    assert_eq!(ytd["count"], meta["counts"]["in_bcp"]);
    assert_eq!(ytd["count"].as_u64(), Some(34_900));
    assert_eq!(ytd["previous"]["no_data"], true);
    assert_eq!(ytd["year_earlier"]["from"], "2024-01");
    // Each window and category against /api/summary of the same filters.
    for (window, from, to, prev) in [
        ("month", "2025-12", "2025-12", Some(("2025-11", "2025-11"))),
        ("quarter", "2025-10", "2025-12", Some(("2025-07", "2025-09"))),
        ("year_to_date", "2025-01", "2025-12", None),
    ] {
        let (total, by_category) = summary_count(&server, &format!("area=bcp&from={from}&to={to}"));
        let row = kpi(&pack, "All crime", window);
        assert_eq!(row["count"].as_u64(), Some(total), "{window}");
        assert_eq!((row["from"].as_str(), row["to"].as_str()), (Some(from), Some(to)));
        for (name, n) in &by_category {
            assert_eq!(kpi(&pack, name, window)["count"].as_u64(), Some(*n), "{name} {window}");
        }
        let categories: u64 = pack["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["window"] == window && r["measure"].as_str().unwrap().starts_with("category:"))
            .map(|r| r["count"].as_u64().unwrap())
            .sum();
        assert_eq!(categories, total, "categories add up to all crime ({window})");
        match prev {
            Some((pf, pt)) => {
                let (before, _) = summary_count(&server, &format!("area=bcp&from={pf}&to={pt}"));
                assert_eq!(row["previous"]["count"].as_u64(), Some(before), "{window} previous");
                let p = row["previous"]["p"].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&p));
            }
            None => assert_eq!(row["previous"]["no_data"], true),
        }
        // No 2024 data: the year-earlier comparison says so instead of comparing with zero.
        assert_eq!(row["year_earlier"]["no_data"], true, "{window}");
    }
    assert_eq!(kpi(&pack, "All crime", "month")["year_earlier"]["from"], "2024-12");
    // 2,649 in December against 2,542 in November is no significant change; the quarter's
    // 7,878 against 9,460 is.
    let month = kpi(&pack, "All crime", "month");
    assert_eq!((month["count"].as_u64(), month["previous"]["count"].as_u64()), (Some(2_649), Some(2_542)));
    assert_eq!(month["previous"]["significant"], false);
    assert_eq!(kpi(&pack, "All crime", "quarter")["previous"]["significant"], true);

    // Wards: every BCP incident is in one ward, so the wards' years to date add up to in_bcp
    // and their Decembers to the month's total.
    let wards = pack["wards"].as_array().unwrap();
    let sum = |key: &str| wards.iter().map(|w| w[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(Some(sum("year_to_date")), meta["counts"]["in_bcp"].as_u64());
    assert_eq!(Some(sum("count")), month["count"].as_u64());
    assert!(wards.windows(2).all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()));
    // The whole of Dorset (area=all) adds up to /api/meta's category counts.
    let all = json(&server, "/api/report?period=2025-12&area=all&format=json");
    for c in meta["categories"].as_array().unwrap() {
        assert_eq!(
            kpi(&all, c["name"].as_str().unwrap(), "year_to_date")["count"],
            c["count"],
            "{}",
            c["name"]
        );
    }
    assert_eq!(kpi(&all, "All crime", "year_to_date")["count"], meta["counts"]["incidents"]);

    // The page: its captions, the charts and the two map pictures.
    let html = text(&server, "/api/report?period=2025-12&area=bcp");
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/api/report/style.css\">"));
    assert!(!html.contains("<style") && !html.contains(" style=\""), "no inline style under the CSP");
    assert!(html.contains(&format!("Data version <b id=\"data-version\">{}</b>", meta["data_version"])));
    assert!(html.contains("no data for 2024-12"));
    assert!(html.matches("<figure class=\"chart\">").count() >= 15, "one chart per category and all crime");
    assert!(html.contains("id=\"hotspot-map\"") && html.contains("id=\"density-map\""));
    let css = text(&server, "/api/report/style.css");
    assert!(css.contains("@page{size:A4"));

    // The CLI on the same store, for partners (as the API's requests here): the same page
    // (but for the inline style) and tables.
    let Some(bin) = hexwatch_binary() else { return };
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(bin)
        .current_dir(data_dir().join(".."))
        .args([
            "--store",
            store_path.to_str().unwrap(),
            "report",
            "--period",
            "2025-12",
            "--area",
            "bcp",
            "--role",
            "partner",
            "--out",
        ])
        .arg(out.path().join("pack.html"))
        .status()
        .unwrap();
    assert!(status.success());
    let cli_html = std::fs::read_to_string(out.path().join("pack.html")).unwrap();
    let inline = format!("<style>{}</style>", hexwatch_io::PACK_CSS);
    assert!(cli_html.contains(&inline));
    assert_eq!(
        cli_html.replace(&inline, "<link rel=\"stylesheet\" href=\"/api/report/style.css\">"),
        html,
        "the CLI's page is the API's"
    );
    for table in ["kpis", "series", "wards", "lsoas", "hotspots", "transitions", "alerts", "patrol"] {
        let cli = std::fs::read_to_string(out.path().join(format!("pack-tables/{table}.csv"))).unwrap();
        let api = text(&server, &format!("/api/report?period=2025-12&area=bcp&format=csv&table={table}"));
        assert_eq!(cli, api, "{table}.csv");
        assert!(cli.starts_with("data_version,period,area,"), "{table}.csv carries its data version");
    }
}

#[test]
fn report_refuses_months_ranges_and_unknown_periods() {
    let (store, _dir) = dorset_store();
    let store_path = store.path().to_path_buf();
    drop(store);
    let server = start_server_on(&store_path, |_| {});
    for (query, parameter) in [
        ("period=2026-01", "period"),
        ("period=2025-13", "period"),
        ("from=2025-01", "from"),
        ("format=pdf", "format"),
        ("format=csv&table=nope", "table"),
    ] {
        let (status, body) = get(&format!("{}/api/report?{query}", server.base));
        assert_eq!(status, 400, "{query}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["parameter"], parameter, "{query}: {v}");
    }
}

/// The public version shows only what the public cube publishes (issue 10's rule in the
/// pack): every count in the JSON, the KPI, series and wards tables is the cube's answer,
/// a withheld one reads "withheld" (never its value, never "fewer than 5"), no p-value or
/// rolling mean is published over a withheld month, a quarter and two of its months never
/// give the third away, and LSOAs, flags, transitions, alerts and the patrol plan are left
/// to partners. The partner version shows every count.
#[test]
fn public_pack_takes_every_count_from_the_public_cube_and_the_partner_pack_does_not() {
    use hexwatch_core::{
        AreaFilter, AreaId, AreaSets, DisclosurePolicy, Filter, Period, PublicArea, PublicCount, PublicCube,
        Role, YearMonth,
    };
    use hexwatch_io::{Pack, PackOptions, PackStyle, build_pack, pack_html, pack_json, pack_tables};

    let (store, _dir) = dorset_store();
    let areas = AreaSets {
        wards: Some(common::shipped_wards().index(11.0)),
        lsoas: Some(common::shipped_lsoas().index(hexwatch_server::DEFAULT_LSOA_TOLERANCE_M)),
        ..AreaSets::default()
    };
    let mut table = store.load_table(areas.wards.as_ref()).unwrap();
    table.assign_lsoas(areas.lsoas.as_ref().unwrap());
    let period: YearMonth = "2025-12".parse().unwrap();
    let version = store.summary().unwrap().data_version;
    let policy = DisclosurePolicy::default();
    let cube = std::sync::Arc::new(PublicCube::build(&table, policy));
    let build = |area: AreaFilter, label: &str, role| {
        let mut options = PackOptions::new(period, Filter { area, ..Filter::default() }, label, role);
        options.policy = policy;
        options.public_cube = Some(cube.clone());
        build_pack(&table, &areas, version, options).unwrap()
    };
    let partner = build(AreaFilter::AnyWard, "bcp", Role::Partner);
    // The quietest ward of December, where counts are small enough to be withheld.
    let wards = areas.wards.as_ref().unwrap();
    let quiet = partner.wards.iter().filter(|w| w.count > 0).min_by_key(|w| w.count).unwrap();
    let quiet_id = u16::try_from(wards.areas().iter().position(|a| a.code == quiet.code).unwrap()).unwrap();
    let published = |c: PublicCount| c.value().map_or_else(|| "withheld".to_owned(), |n| n.to_string());
    let months: Vec<YearMonth> =
        (0..12).map(|i| "2025-01".parse::<YearMonth>().unwrap().add_months(i)).collect();
    let mut withheld_seen = 0;
    for (area, public_area, label) in [
        (AreaFilter::AnyWard, PublicArea::Wards, "bcp".to_owned()),
        (AreaFilter::Ward(AreaId(quiet_id)), PublicArea::Ward(quiet_id), format!("ward:{}", quiet.code)),
    ] {
        let public: Pack = build(area, &label, Role::Public);
        let json = pack_json(&public);
        let tables = pack_tables(&public).unwrap();
        let csv = |name: &str| tables.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let html = pack_html(&public, PackStyle::Inline).unwrap();
        let group = |measure: &str| match measure.strip_prefix("category:") {
            Some(c) => c.parse::<usize>().unwrap() + 1,
            None => 0,
        };
        // KPIs: the month, Q4 and the year 2025 from the cube; no flag rows.
        let kpis_csv = csv("kpis.csv");
        for r in json["kpis"].as_array().unwrap() {
            let (measure, window) = (r["measure"].as_str().unwrap(), r["window"].as_str().unwrap());
            assert!(!measure.starts_with("flag:"), "{label}: flag row {r}");
            let cell = match window {
                "month" => Period::Month(period),
                "quarter" => Period::Quarter { year: 2025, quarter: 4 },
                _ => Period::Year(2025),
            };
            let g = group(measure);
            let expected = cube.count(public_area, g, cell);
            assert_eq!(r["count"].as_u64(), expected.value(), "{label} {measure} {window}");
            assert_eq!(r["withheld"], expected.value().is_none(), "{label} {measure} {window}");
            let row = kpis_csv
                .lines()
                .find(|l| l.contains(&format!(",{},{window},", r["label"].as_str().unwrap())))
                .unwrap();
            assert_eq!(row.split(',').nth(7).unwrap(), published(expected), "{label}: {row}");
            // The page's KPI table of the window shows the same.
            let page = html
                .split(&format!("data-window=\"{window}\""))
                .nth(1)
                .unwrap()
                .split("</table>")
                .next()
                .unwrap();
            let html_cell = format!(
                "<tr><td>{}</td><td class=\"n\">{}</td>",
                r["label"].as_str().unwrap(),
                published(expected)
            );
            assert!(page.contains(&html_cell), "{label}: {html_cell} in the {window} table");
            for key in ["previous", "year_earlier"] {
                let c = &r[key];
                if expected == PublicCount::Withheld {
                    withheld_seen += 1;
                    assert!(
                        c["p"].is_null() && c["q"].is_null() && c["change_pct"].is_null(),
                        "{label}: {r}"
                    );
                }
                if c["no_data"] != true {
                    let before = if key == "previous" { cell_previous(cell) } else { year_before(cell) };
                    assert_eq!(
                        c["count"].as_u64(),
                        cube.count(public_area, g, before).value(),
                        "{label}: {r}"
                    );
                }
            }
            // Quarter minus two published months never leaves one withheld month.
            if window == "quarter" && r["count"].is_u64() {
                let hidden = months[9..]
                    .iter()
                    .filter(|m| cube.count(public_area, g, Period::Month(**m)) == PublicCount::Withheld)
                    .count();
                assert_ne!(hidden, 1, "{label} {measure}: Q4 minus two months");
            }
        }
        // Series: each month from the cube; the rolling mean only over twelve published months.
        let names: Vec<(String, usize)> = json["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["window"] == "month")
            .map(|r| (r["label"].as_str().unwrap().to_owned(), group(r["measure"].as_str().unwrap())))
            .collect();
        let series_csv = csv("series.csv");
        let mut reader = csv::Reader::from_reader(series_csv.as_bytes());
        for row in reader.records() {
            let row = row.unwrap();
            let g = names.iter().find(|(n, _)| n == &row[3]).unwrap().1;
            let month: YearMonth = row[4].parse().unwrap();
            let expected = cube.count(public_area, g, Period::Month(month));
            assert_eq!(&row[5], published(expected), "{label}: {row:?}");
            if month == period {
                let twelve: Option<Vec<u64>> =
                    months.iter().map(|m| cube.count(public_area, g, Period::Month(*m)).value()).collect();
                match twelve {
                    #[expect(clippy::cast_precision_loss, reason = "small counts")]
                    Some(t) => {
                        let mean: f64 = row[6].parse().unwrap();
                        assert!((mean - t.iter().sum::<u64>() as f64 / 12.0).abs() < 1e-9, "{row:?}");
                    }
                    None => assert_eq!(&row[6], "", "{label}: a mean over a withheld month {row:?}"),
                }
            }
        }
        // Wards: month, November and the year from the cube.
        for w in json["wards"].as_array().unwrap() {
            let i = u16::try_from(wards.areas().iter().position(|a| a.code == w["code"]).unwrap()).unwrap();
            let ward = PublicArea::Ward(i);
            assert_eq!(w["count"].as_u64(), cube.count(ward, 0, Period::Month(period)).value(), "{w}");
            assert_eq!(
                w["previous"].as_u64(),
                cube.count(ward, 0, Period::Month(period.add_months(-1))).value(),
                "{w}"
            );
            assert_eq!(w["year_to_date"].as_u64(), cube.count(ward, 0, Period::Year(2025)).value(), "{w}");
            if w["count"].is_null() || w["previous"].is_null() {
                withheld_seen += 1;
                assert!(w["p"].is_null() && w["q"].is_null(), "{w}");
            }
        }
        // Partner-only sections are empty, and say so on the page.
        assert_eq!(json["lsoas"].as_array().unwrap().len(), 0);
        assert_eq!(csv("lsoas.csv").lines().count(), 1, "header only");
        assert!(json["transitions"].is_null() && json["alerts"].as_array().unwrap().is_empty());
        assert!(
            json["patrol"]["current"].as_array().unwrap().is_empty() && json["patrol"]["last_pai"].is_null()
        );
        assert_eq!(csv("alerts.csv").lines().count(), 1);
        assert_eq!(csv("patrol.csv").lines().count(), 1);
        assert!(
            csv("hotspots.csv").lines().skip(1).all(|l| l.split(',').nth(4) == Some("")),
            "no cell counts"
        );
        assert!(html.contains("LSOA tables need a partner token"));
        // The hot spot picture draws every hot and cold cell's bin (one path each).
        let map = html.split("id=\"hotspot-map\"").nth(1).unwrap().split("</figure>").next().unwrap();
        let binned = json["hot_spots"]["hot"].as_u64().unwrap() + json["hot_spots"]["cold"].as_u64().unwrap();
        assert!(binned > 0, "{label}: hot spots");
        assert_eq!(map.matches("stroke=\"none\"").count() as u64, binned, "{label}");
        assert!(html.contains("Alerts are shown to partners") && html.contains("PAI are shown to partners"));
        assert!(!html.contains("Flag:") && !html.contains("fewer than 5</td>"));
    }
    assert!(withheld_seen > 0, "the quiet ward has withheld counts to check");
    // November: the quarter to date (October–November) and the year to date are not fixed
    // periods, so neither they nor their tests are published (the year to date of November
    // minus that of October would give November away).
    let build_at = |month: &str| {
        let mut options = PackOptions::new(
            month.parse().unwrap(),
            Filter { area: AreaFilter::AnyWard, ..Filter::default() },
            "bcp",
            Role::Public,
        );
        options.public_cube = Some(cube.clone());
        pack_json(&build_pack(&table, &areas, version, options).unwrap())
    };
    let november = build_at("2025-11");
    for r in november["kpis"].as_array().unwrap().iter().filter(|r| r["window"] != "month") {
        assert!(r["count"].is_null() && r["not_fixed_period"] == true && r["withheld"] == false, "{r}");
        for key in ["previous", "year_earlier"] {
            assert!(r[key]["p"].is_null() && r[key]["count"].is_null(), "{r}");
        }
    }
    assert!(november["wards"].as_array().unwrap().iter().all(|w| w["year_to_date"].is_null()));
    // October: its quarter to date is the month itself, compared with July (the same
    // months of the previous quarter), each from the cube.
    let october = build_at("2025-10");
    for r in october["kpis"].as_array().unwrap().iter().filter(|r| r["window"] == "quarter") {
        let g = match r["measure"].as_str().unwrap().strip_prefix("category:") {
            Some(c) => c.parse::<usize>().unwrap() + 1,
            None => 0,
        };
        let month = |m: &str| cube.count(PublicArea::Wards, g, Period::Month(m.parse().unwrap())).value();
        assert_eq!(r["count"].as_u64(), month("2025-10"), "{r}");
        assert_eq!(
            (r["previous"]["from"].as_str(), r["previous"]["count"].as_u64()),
            (Some("2025-07"), month("2025-07"))
        );
    }
    // The partner pack shows every count, LSOAs with fewer than five among them.
    assert!(partner.lsoas.iter().filter(|l| l.count > 0 && l.count < 5).count() > 20);
    let partner_html = pack_html(&partner, PackStyle::Inline).unwrap();
    assert!(!partner_html.contains(">withheld<") && partner_html.contains("Top LSOAs (2021)</h3><table"));
}

/// The same kind of period before (`Period::previous`).
fn cell_previous(p: hexwatch_core::Period) -> hexwatch_core::Period {
    p.previous()
}

/// The same kind of period a year earlier.
fn year_before(p: hexwatch_core::Period) -> hexwatch_core::Period {
    use hexwatch_core::Period;
    match p {
        Period::Month(m) => Period::Month(m.add_months(-12)),
        Period::Quarter { year, quarter } => Period::Quarter { year: year - 1, quarter },
        Period::Year(y) => Period::Year(y - 1),
    }
}

/// Public requests for the pack are checked as the public map's: a category list that is not
/// a fixed group, a flag, an LSOA area or a finer resolution is a 400 naming the parameter.
#[test]
fn public_report_refuses_what_the_public_map_refuses() {
    let (store, _dir) = dorset_store();
    let store_path = store.path().to_path_buf();
    drop(store);
    let server = start_server_on(&store_path, |_| {});
    for (query, parameter) in [
        ("category=burglary,robbery", "category"),
        ("flag=knife", "flag"),
        ("area=lsoa:E01015449", "area"),
        ("res=11", "res"),
    ] {
        let (status, body) =
            common::get_public(&format!("{}/api/report?period=2025-12&{query}", server.base));
        assert_eq!(status, 400, "{query}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["parameter"], parameter, "{query}: {v}");
    }
    // A fixed group is fine, and the public page says what it leaves out.
    let (status, body) =
        common::get_public(&format!("{}/api/report?period=2025-12&category=burglary", server.base));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8(body).unwrap().contains("LSOA tables need a partner token"));
    // `hexwatch report --role public` writes the public page and tables the API serves.
    let Some(bin) = hexwatch_binary() else { return };
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(bin)
        .current_dir(data_dir().join(".."))
        .args(["--store", store_path.to_str().unwrap(), "report", "--period", "2025-12", "--area", "bcp"])
        .args(["--role", "public", "--out"])
        .arg(out.path().join("pack.html"))
        .status()
        .unwrap();
    assert!(status.success());
    let public = |path: &str| {
        let (status, body) = common::get_public(&format!("{}{path}", server.base));
        assert_eq!(status, 200, "{path}");
        String::from_utf8(body).unwrap()
    };
    let cli_html = std::fs::read_to_string(out.path().join("pack.html")).unwrap();
    let inline = format!("<style>{}</style>", hexwatch_io::PACK_CSS);
    assert_eq!(
        cli_html.replace(&inline, "<link rel=\"stylesheet\" href=\"/api/report/style.css\">"),
        public("/api/report?period=2025-12&area=bcp"),
        "the CLI's public page is the API's"
    );
    for table in ["kpis", "series", "wards", "lsoas", "hotspots", "alerts", "patrol"] {
        let cli = std::fs::read_to_string(out.path().join(format!("pack-tables/{table}.csv"))).unwrap();
        assert_eq!(
            cli,
            public(&format!("/api/report?period=2025-12&area=bcp&format=csv&table={table}")),
            "{table}"
        );
    }
}

/// The pack's alerts: December's three new ones (vehicle crime in Hamworthy, two cells
/// turning into new violence hot spots) with the status and note recorded in the store, and
/// earlier months' alerts that are still open.
#[test]
fn pack_lists_new_alerts_with_their_recorded_status_and_earlier_open_ones() {
    const TOKEN: &str = "report-test-token-0123456789";
    let (store, _dir) = dorset_store();
    let store_path = store.path().to_path_buf();
    drop(store);
    let server = start_server_on(&store_path, |c| c.write_token = hexwatch_server::WriteToken::new(TOKEN));
    let id = "E05012663:vehicle-crime:2025-12";
    let (status, reply) = common::post(
        &format!("{}/api/alerts/{id}/ack", server.base),
        Some(TOKEN),
        "application/json",
        br#"{"status": "acknowledged", "note": "PCSO visits booked"}"#,
    );
    assert_eq!(status, 200, "{reply}");
    let pack = json(&server, "/api/report?period=2025-12&area=bcp&format=json");
    let alerts = pack["alerts"].as_array().unwrap();
    let new: Vec<&Value> = alerts.iter().filter(|a| a["new"] == true).collect();
    assert_eq!(new.len(), 3, "{new:?}");
    let hamworthy = alerts.iter().find(|a| a["id"] == id).unwrap();
    assert_eq!((hamworthy["observed"].as_u64(), hamworthy["kind"].as_str()), (Some(12), Some("ward")));
    assert_eq!(
        (hamworthy["status"].as_str(), hamworthy["note"].as_str()),
        (Some("acknowledged"), Some("PCSO visits booked"))
    );
    // Every other alert listed is open: new this month, or an earlier month's not yet expired.
    let stored = json(&server, "/api/alerts?status=open");
    let open_earlier = stored["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["period"].as_str().unwrap() < "2025-12")
        .count();
    assert_eq!(alerts.len(), 3 + open_earlier);
    assert!(alerts.iter().filter(|a| a["id"] != id).all(|a| a["status"] == "open"));
    let html = text(&server, "/api/report?period=2025-12&area=bcp");
    assert!(
        html.contains("acknowledged (PCSO visits booked)") && html.contains("ward Hamworthy (E05012663)")
    );
    // A pack for an earlier month lists nothing raised after it.
    let june = json(&server, "/api/report?period=2025-06&area=bcp&format=json");
    assert!(june["alerts"].as_array().unwrap().iter().all(|a| a["period"].as_str().unwrap() <= "2025-06"));
}
