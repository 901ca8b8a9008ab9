global using System.Text.Json.Nodes;
global using Microsoft.AspNetCore.Http;
