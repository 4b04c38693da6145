import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "react-router";
import { App } from "./App";
import { ConfirmHost } from "./components/Confirm";
import { createAppRouter } from "./lib/router";
import { queryClient } from "./lib/useLoad";
import "./styles.css";

const container = document.getElementById("root");
if (!container) throw new Error("index.html is missing the #root element");

createRoot(container).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={createAppRouter(App)} />
      <ConfirmHost />
    </QueryClientProvider>
  </StrictMode>,
);
