// Draws the coach dashboard's teams' table and charts from the insights table embedded in the page.
// Suppressed cells are nulls: lines show gaps and bars show nothing, never a zero. A week not
// rolled up yet is "no data yet", not "suppressed"; a bar with a suppressed part says so, and a
// team-health week with nothing to draw says which on the chart.
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
  // The teams' table: each team's active people per week, out of its members.
  const teamsBody = document.getElementById("teams-active");
  table.teams.forEach((team) => {
    const row = teamsBody.insertRow();
    const name = element("th", team.name + " ");
    name.appendChild(element("span", "active", "muted"));
    row.appendChild(name);
    team.weeks.forEach((week) => {
      const cell = row.insertCell();
      if (week.active.suppressed === "not_rolled_up") {
        cell.appendChild(element("span", "no data yet", "no-data"));
      } else if (week.active.value === null) {
        cell.appendChild(element("span", "suppressed", "suppressed")).title = week.active.suppressed;
      } else {
        cell.textContent = week.active.value + " / " + week.members;
      }
    });
  });
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

  function perTeam(cellOf) {
    const teams = table.teams.map((team, i) => {
      const cells = team.weeks.map(cellOf);
      return { label: team.name, data: cells.map(value), cells, borderColor: colour(i), backgroundColor: colour(i) };
    });
    const cells = organisation.map(cellOf);
    teams.push({ label: "Organisation", data: cells.map(value), cells, borderColor: "#1f2933", borderDash: [6, 4] });
    return teams;
  }

  // What a team made stay: counts only, suppressed like every other cell.
  const made = {
    agreement_versions_adopted: (week) => week.agreements.adopted,
    commitments_kept: (week) => week.commitments.kept,
  };
  const charts = [
    line("participation", perTeam((week) => week.participation_rate), { min: 0, max: 1, ticks: { format: { style: "percent" } } }),
    stacked("completions", table.themes, (week, theme) => week.completions_by_theme[theme]),
    stacked("acknowledgements", table.behaviours, (week, behaviour) => {
      const within = value(week.acknowledgements.within[behaviour]);
      const across = value(week.acknowledgements.across[behaviour]);
      const sum = within === null && across === null ? null : (within || 0) + (across || 0);
      return { value: sum, suppressed: sum === null ? "fewer_than_k" : null };
    }),
    line("mood", perTeam((week) => week.mood), { min: 1, max: 5 }),
    line("pairs", perTeam((week) => week.pairs.share_of_team), { min: 0, max: 1, ticks: { format: { style: "percent" } } }),
    stacked("made", Object.keys(made), (week, key) => made[key](week)),
  ];
  // Team health: per team, a line per check-in question it answered (the mean, 1 to 5), the
  // weeks where nothing is published labelled on the chart itself, and a table naming every
  // gap and what the team practised that week (themes of the exercises completed).
  const themeName = (slug) => slug.replaceAll("-", " ");
  const weekNote = (cell, index) => note(cell, index).replace(/ \(.*\)$/, "");
  const practised = (week, index) => {
    if (week.active.suppressed === "not_rolled_up" || noDataYet[index]) return "no data yet";
    if (week.active.suppressed) return "suppressed";
    return table.themes.filter((theme) => value(week.completions_by_theme[theme])).map(themeName).join(", ") || "nothing published";
  };
  const gapLabels = {
    id: "gapLabels",
    afterDatasetsDraw(chart, args, options) {
      const { ctx, chartArea, scales } = chart;
      options.notes.forEach((text, i) => {
        if (!text) return;
        ctx.save(); // written upwards from the axis, so neighbouring weeks' labels never overlap
        ctx.fillStyle = "#9a5b13";
        ctx.font = "italic 11px system-ui, sans-serif";
        ctx.translate(scales.x.getPixelForValue(i) + 4, chartArea.bottom - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.fillText(text, 0, 0);
        ctx.restore();
      });
    },
  };
  const gapNote = (week, index) => (week.active.suppressed === "not_rolled_up" || noDataYet[index] ? "no data yet" : "suppressed");
  const cellText = (cell, index) => (value(cell) !== null ? String(value(cell)) : weekNote(cell, index));
  const cellClass = (cell, index) => (value(cell) !== null ? "" : cell.suppressed === "not_rolled_up" || noDataYet[index] ? "no-data" : "suppressed");

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  const cellElement = (cell, index) => element("td", cellText(cell, index), cellClass(cell, index));

  function healthTable(team, questions) {
    const rows = element("table", undefined, "health-table");
    const head = rows.createTHead().insertRow();
    [team.name, ...weeks].forEach((text) => head.appendChild(element("th", text)));
    const body = rows.createTBody();
    questions.forEach((question) => {
      const row = body.insertRow();
      row.appendChild(element("th", question.name));
      team.weeks.forEach((week, i) => row.appendChild(cellElement(week.health[question.id].mean, i)));
    });
    const row = body.insertRow();
    row.appendChild(element("th", "Practised"));
    team.weeks.forEach((week, i) => row.appendChild(element("td", practised(week, i), "practised")));
    Object.entries(made).forEach(([key, cellOf]) => {
      const counts = body.insertRow();
      counts.appendChild(element("th", key.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase())));
      team.weeks.forEach((week, i) => counts.appendChild(cellElement(cellOf(week), i)));
    });
    return rows;
  }

  const healthCharts = table.teams.map((team) => {
    const questions = table.questions.filter((q) => team.weeks.some((week) => value(week.health[q.id].mean) !== null));
    const card = element("div", undefined, "card health");
    card.appendChild(element("h2", team.name));
    if (!questions.length) {
      card.appendChild(element("p", "No check-in question had " + table.organisation.k + " people answering in these weeks: suppressed.", "suppressed"));
    }
    const canvas = element("canvas");
    canvas.id = "health-" + team.id;
    canvas.setAttribute("aria-label", "Team health of " + team.name);
    card.appendChild(canvas);
    const scroll = element("div", undefined, "scroll");
    scroll.appendChild(healthTable(team, questions));
    card.appendChild(scroll);
    document.getElementById("team-health-charts").appendChild(card);
    const datasets = questions.map((question, i) => {
      const cells = team.weeks.map((week) => week.health[question.id].mean);
      return { label: question.name, data: cells.map(value), cells, borderColor: colour(i), backgroundColor: colour(i) };
    });
    const notes = team.weeks.map((week, i) => (datasets.some((d) => d.data[i] !== null) ? "" : gapNote(week, i)));
    return new Chart(canvas, {
      type: "line",
      data: { labels: weeks, datasets },
      plugins: [gapLabels],
      options: {
        ...common,
        plugins: {
          gapLabels: { notes },
          tooltip: {
            callbacks: {
              afterLabel: suppressedNote,
              footer: (items) => (items.length ? "Practised: " + practised(team.weeks[items[0].dataIndex], items[0].dataIndex) : ""),
            },
          },
        },
        scales: { x: { type: "category" }, y: { min: 1, max: 5 } },
      },
    });
  });
  charts.push(...healthCharts);

  window.humbleCharts = charts.map((chart) => ({
    id: chart.canvas.id,
    points: chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
    notes: weeks.map((_, i) => (chart.config.type === "bar" ? missingParts(chart.data.datasets, i) : (chart.options.plugins.gapLabels || {}).notes?.[i] || "")),
  }));
})();
