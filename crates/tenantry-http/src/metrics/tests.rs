use super::*;

/// The value of the sample named exactly `series` in Prometheus text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[test]
fn each_series_counts_every_request_from_every_thread() {
    // A route of its own: the recorder is shared by every test in this process.
    let route = "/test/series/{id}";
    let threads: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..5 {
                    Series::record(route, "GET", StatusCode::OK, 0.001);
                }
                Series::record(route, "GET", StatusCode::NOT_FOUND, 0.002);
                Series::record(route, "DELETE", StatusCode::OK, 0.003);
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    Series::record(route, "GET", StatusCode::OK, 0.001);

    upkeep();
    let text = handle().render();
    let count = |method: &str, status: u16| {
        let series = format!(
            r#"tenantry_http_requests_total{{route="{route}",method="{method}",status="{status}"}}"#
        );
        sample(&text, &series)
    };
    assert_eq!(count("GET", 200), Some(16.0), "{text}");
    assert_eq!(count("GET", 404), Some(3.0), "{text}");
    assert_eq!(count("DELETE", 200), Some(3.0), "{text}");
    let latencies = format!(
        r#"tenantry_http_request_duration_seconds_count{{route="{route}",method="GET",status="200"}}"#
    );
    assert_eq!(sample(&text, &latencies), Some(16.0), "{text}");
}

#[test]
fn requests_in_flight_go_up_and_back_down() {
    // No other test of this crate sends a request through the layer, so only this one moves
    // the gauge of this process's recorder.
    let gauge = || {
        upkeep();
        sample(&handle().render(), "tenantry_http_requests_in_flight")
    };
    let held: Vec<InFlight> = (0..3).map(|_| InFlight::enter()).collect();
    assert_eq!(gauge(), Some(3.0));
    drop(held);
    assert_eq!(gauge(), Some(0.0));
}
