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

    // The CLI on the same store, for the public (as every request is until partner
    // authentication): the same page (but for the inline style) and tables.
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
            "public",
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

/// The public version withholds counts below the disclosure threshold as "fewer than k"
/// (never 0) in the page, the tables and the JSON, and withholds the change and test with
/// them; the partner version shows every count.
#[test]
fn public_pack_withholds_small_counts_and_the_partner_pack_does_not() {
    use hexwatch_core::{AreaFilter, AreaSets, DisclosurePolicy, Filter, Role};
    use hexwatch_io::{PackOptions, PackStyle, build_pack, pack_html, pack_json, pack_tables};

    let (store, _dir) = dorset_store();
    let areas = AreaSets {
        wards: Some(common::shipped_wards().index(11.0)),
        lsoas: Some(common::shipped_lsoas().index(hexwatch_server::DEFAULT_LSOA_TOLERANCE_M)),
        ..AreaSets::default()
    };
    let mut table = store.load_table(areas.wards.as_ref()).unwrap();
    table.assign_lsoas(areas.lsoas.as_ref().unwrap());
    let filter = Filter { area: AreaFilter::AnyWard, ..Filter::default() };
    let period = "2025-12".parse().unwrap();
    let version = store.summary().unwrap().data_version;
    let build = |role| {
        let mut options = PackOptions::new(period, filter.clone(), "bcp", role);
        options.policy = DisclosurePolicy::default();
        build_pack(&table, &areas, version, options).unwrap()
    };
    let public = build(Role::Public);
    let partner = build(Role::Partner);

    // LSOAs with fewer than five incidents in December exist; the public sees none of those counts.
    let small: Vec<_> = partner.lsoas.iter().filter(|l| l.count < 5).collect();
    assert!(small.len() > 20, "{} small LSOAs", small.len());
    let lsoas_csv = |pack| pack_tables(pack).unwrap().into_iter().find(|(n, _)| *n == "lsoas.csv").unwrap().1;
    let (public_csv, partner_csv) = (lsoas_csv(&public), lsoas_csv(&partner));
    for l in &small {
        let row = |csv: &str| csv.lines().find(|r| r.contains(&l.code)).unwrap().to_owned();
        let fields: Vec<String> = row(&public_csv).split(',').map(str::to_owned).collect();
        assert_eq!(fields[fields.len() - 5], "fewer than 5", "{}", row(&public_csv));
        assert!(row(&partner_csv).contains(&format!(",{},", l.count)));
    }
    let json = pack_json(&public);
    let withheld = json["lsoas"].as_array().unwrap().iter().filter(|l| l["count"].is_null()).count();
    assert_eq!(withheld, small.len());
    // Theft from the person: 12 in December, 14 in November, both shown with their test.
    let kpi = |pack: &hexwatch_io::Pack, label: &str| {
        pack.kpis
            .iter()
            .find(|r| r.label == label && r.window == hexwatch_core::report::Window::Month)
            .unwrap()
            .clone()
    };
    assert_eq!(kpi(&public, "Theft from the person").count, 12);
    let html = pack_html(&public, PackStyle::Inline).unwrap();
    assert!(html.contains("fewer than 5") && html.contains("counts below 5 are withheld"));
    assert!(!pack_html(&partner, PackStyle::Inline).unwrap().contains("fewer than 5"));
    // Totals are unchanged: the rule hides small counts, it does not drop incidents.
    assert_eq!(kpi(&public, "All crime").count, kpi(&partner, "All crime").count);
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
