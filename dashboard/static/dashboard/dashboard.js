// Draws the coach dashboard's charts from the insights table embedded in the page.
// Suppressed cells are nulls: lines show gaps and bars show nothing, never a zero. A week not
// rolled up yet is "no data yet", not "suppressed"; a bar with a suppressed part says so.
(function () {
  const table = JSON.parse(document.getElementById("insights").textContent);
  const weeks = table.weeks;
  const organisation = table.organisation_total.weeks;
  const palette = ["#2f6f62", "#c4783b", "#4a6fa5", "#9b5d8f", "#7a8b3a", "#b24c4c", "#4d8fa6"];
  const colour = (i) => palette[i % palette.length];
  const value = (cell) => (cell && cell.value !== null ? cell.value : null);
  // No team of the page has a rollup for the week yet (the organisation row then publishes nothing).
  const noDataYet = weeks.map((_, i) => table.teams.length > 0 && table.teams.every((team) => team.weeks[i].active.suppressed === "not_rolled_up"));
  const note = (cell, index) => {
    if (!cell || !cell.suppressed) return "";
    if (cell.suppressed === "not_rolled_up" || noDataYet[index]) return "no data yet";
    return "suppressed (" + cell.suppressed.replaceAll("_", " ") + ")";
  };
  const suppressedNote = (context) => note(context.dataset.cells && context.dataset.cells[context.dataIndex], context.dataIndex);
  // What a stacked bar leaves out: its suppressed parts, named.
  const missingParts = (datasets, index) => {
    if (noDataYet[index]) return "No data yet";
    const hidden = datasets.filter((d) => d.cells[index] && d.cells[index].suppressed).map((d) => d.label);
    return hidden.length ? "Suppressed parts (fewer than " + table.organisation.k + " people): " + hidden.join(", ") : "";
  };
  const common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    spanGaps: false,
    plugins: { tooltip: { callbacks: { afterLabel: suppressedNote } } },
  };

  function line(id, datasets, yOptions) {
    return new Chart(document.getElementById(id), {
      type: "line",
      data: { labels: weeks, datasets },
      options: { ...common, scales: { y: yOptions } },
    });
  }

  function stacked(id, keys, cellOf) {
    return new Chart(document.getElementById(id), {
      type: "bar",
      data: {
        labels: weeks,
        datasets: keys.map((key, i) => {
          const cells = organisation.map((week) => cellOf(week, key));
          return { label: key.replaceAll("_", " "), data: cells.map(value), cells, backgroundColor: colour(i) };
        }),
      },
      options: {
        ...common,
        interaction: { mode: "index", intersect: false },
        plugins: {
          tooltip: {
            callbacks: {
              afterLabel: suppressedNote,
              footer: (items) => (items.length ? missingParts(items[0].chart.data.datasets, items[0].dataIndex) : ""),
            },
          },
        },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      },
    });
  }

  function perTeam(measure) {
    const teams = table.teams.map((team, i) => {
      const cells = team.weeks.map((week) => week[measure]);
      return { label: team.name, data: cells.map(value), cells, borderColor: colour(i), backgroundColor: colour(i) };
    });
    const cells = organisation.map((week) => week[measure]);
    teams.push({ label: "Organisation", data: cells.map(value), cells, borderColor: "#1f2933", borderDash: [6, 4] });
    return teams;
  }

  const charts = [
    line("participation", perTeam("participation_rate"), { min: 0, max: 1, ticks: { format: { style: "percent" } } }),
    stacked("completions", table.themes, (week, theme) => week.completions_by_theme[theme]),
    stacked("acknowledgements", table.behaviours, (week, behaviour) => {
      const within = value(week.acknowledgements.within[behaviour]);
      const across = value(week.acknowledgements.across[behaviour]);
      const sum = within === null && across === null ? null : (within || 0) + (across || 0);
      return { value: sum, suppressed: sum === null ? "fewer_than_k" : null };
    }),
    line("mood", perTeam("mood"), { min: 1, max: 5 }),
  ];
  window.humbleCharts = charts.map((chart) => ({
    id: chart.canvas.id,
    points: chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
    notes: weeks.map((_, i) => (chart.config.type === "bar" ? missingParts(chart.data.datasets, i) : "")),
  }));
})();
